apr run $WORK/smollm2-135m-int8.apr def\ fibonacci\(n\): -n 32 -f json
