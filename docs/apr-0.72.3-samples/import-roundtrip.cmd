apr import $WORK/smollm2-135m-int4.gguf -o $WORK/smollm2-135m-roundtrip-tmp.apr
