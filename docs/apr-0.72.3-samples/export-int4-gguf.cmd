apr export $WORK/smollm2-135m-int4.apr --format gguf -o $WORK/smollm2-135m-int4.gguf
