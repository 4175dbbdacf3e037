third_party/bin/llama-completion -m $WORK/smollm2-135m-q4_0.gguf -p What\ is\ 2+2\?\ Answer: -n 32 --temp 0 --top-k 1 --no-display-prompt -s 42 -t 2 -fa off -no-cnv
