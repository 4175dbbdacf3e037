apr hex $WORK/smollm2-135m-int4.apr --stats --json
