third_party/bin/llama-probe -m $WORK/smollm2-135m-q8_0.gguf
