apr run $WORK/smollm2-135m-gguf-f32.apr def\ fibonacci\(n\): -n 32 -f json
