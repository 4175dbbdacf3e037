apr run $WORK/smollm2-135m-q8_0-notemplate.gguf The\ capital\ of\ France\ is -n 32 -f json --logprobs 5
