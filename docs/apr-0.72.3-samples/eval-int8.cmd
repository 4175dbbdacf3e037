apr eval $WORK/smollm2-135m-int8.apr --threshold 50.0 --json
