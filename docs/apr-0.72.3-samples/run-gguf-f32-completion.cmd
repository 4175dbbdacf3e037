apr run $WORK/smollm2-135m-gguf-f32.apr The\ capital\ of\ France\ is -n 32 -f json
