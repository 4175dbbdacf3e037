apr check $WORK/smollm2-135m-int4.apr --json
