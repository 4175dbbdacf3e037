apr parity $WORK/smollm2-135m-int4.gguf --json --assert
