apr run $WORK/smollm2-135m-q8_0-notemplate.gguf def\ fibonacci\(n\): -n 32 -f json --logprobs 5
