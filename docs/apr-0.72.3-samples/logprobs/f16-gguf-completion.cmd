apr run $WORK/smollm2-135m-f16.gguf The\ capital\ of\ France\ is -n 32 -f json --logprobs 5
