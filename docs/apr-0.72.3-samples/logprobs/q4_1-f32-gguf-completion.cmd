apr run $WORK/smollm2-135m-q4_1-f32.gguf The\ capital\ of\ France\ is -n 32 -f json --logprobs 5
