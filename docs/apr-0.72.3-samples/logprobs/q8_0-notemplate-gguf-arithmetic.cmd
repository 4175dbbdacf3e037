apr run $WORK/smollm2-135m-q8_0-notemplate.gguf What\ is\ 2+2\?\ Answer: -n 32 -f json --logprobs 5
