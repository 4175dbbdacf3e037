apr bench $WORK/smollm2-135m-int4.apr --json --iterations 1 --warmup 0
