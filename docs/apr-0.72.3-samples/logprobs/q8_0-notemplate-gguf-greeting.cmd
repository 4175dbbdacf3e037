apr run $WORK/smollm2-135m-q8_0-notemplate.gguf Hello\,\ my\ name\ is -n 32 -f json --logprobs 5
