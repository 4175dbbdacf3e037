third_party/bin/llama-probe -m $WORK/does-not-exist.gguf -p hi
