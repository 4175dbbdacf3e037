apr run $WORK/smollm2-135m-roundtrip-tmp.apr The\ capital\ of\ France\ is -n 32 -f json
