apr run $WORK/smollm2-135m-int8.apr -p The\ capital\ of\ France\ is -n 32 --json
