third_party/bin/llama-probe -m $WORK/smollm2-135m-q4_0.gguf -p def\ fibonacci\(n\): -n 32 -k 5 -t 1 --teacher-oracle oracle/smollm2-135m/code.json
