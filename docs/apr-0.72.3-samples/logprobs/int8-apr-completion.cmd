apr run $WORK/smollm2-135m-int8.apr The\ capital\ of\ France\ is -n 32 -f json --logprobs 5
