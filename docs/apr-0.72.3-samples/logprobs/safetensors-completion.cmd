apr run models/fixture/smollm2-135m/model.safetensors The\ capital\ of\ France\ is -n 32 -f json --logprobs 5
