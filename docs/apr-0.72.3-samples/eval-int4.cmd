apr eval $WORK/smollm2-135m-int4.apr --threshold 50.0 --json
