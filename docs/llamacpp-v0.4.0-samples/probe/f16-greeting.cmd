third_party/bin/llama-probe -m $WORK/smollm2-135m-f16.gguf -p Hello\,\ my\ name\ is -n 32 -k 5 -t 1 --teacher-oracle oracle/smollm2-135m/greeting.json
