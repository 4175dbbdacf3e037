apr hex $WORK/smollm2-135m-int8.apr --stats --json
