apr run $WORK/smollm2-135m-int4.apr What\ is\ 2+2\?\ Answer: -n 32 -f json
