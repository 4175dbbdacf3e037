third_party/bin/llama-completion -m $WORK/smollm2-135m-int4.gguf -p The\ capital\ of\ France\ is -n 32 --temp 0 --top-k 1 --no-display-prompt -s 42 -t 2 -fa off -no-cnv
