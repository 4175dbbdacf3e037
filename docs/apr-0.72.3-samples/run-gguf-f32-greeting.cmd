apr run $WORK/smollm2-135m-gguf-f32.apr Hello\,\ my\ name\ is -n 32 -f json
