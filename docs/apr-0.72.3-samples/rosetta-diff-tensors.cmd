apr rosetta diff-tensors $WORK/smollm2-135m-int8.apr $WORK/smollm2-135m-int4.apr --json
