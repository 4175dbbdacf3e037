apr run $WORK/smollm2-135m-int4.apr Hello\,\ my\ name\ is -n 32 -f json
