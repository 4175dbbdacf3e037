apr run $WORK/smollm2-135m-int8.apr hi -n 4 -t 0 --raw -f json
