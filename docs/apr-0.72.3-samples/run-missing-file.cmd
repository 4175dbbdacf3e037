apr run $WORK/does-not-exist.apr hi -n 4 -f json
