apr qa $WORK/smollm2-135m-int4.apr --json --skip-ollama --skip-gpu-speedup --skip-ptx-parity
