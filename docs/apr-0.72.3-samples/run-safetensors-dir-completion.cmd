apr run models/fixture/smollm2-135m The\ capital\ of\ France\ is -n 32 -f json
