third_party/bin/llama-probe -m $WORK/smollm2-135m-q8_0.gguf -p The\ capital\ of\ France\ is -n 32 -k 5 -t 1 --teacher-oracle $WORK/completion-no-margins.json
