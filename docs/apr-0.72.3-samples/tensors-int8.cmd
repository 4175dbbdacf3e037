apr tensors $WORK/smollm2-135m-int8.apr --json
