apr import models/fixture/smollm2-135m-q4_1.gguf --quantize int8 -o $WORK/smollm2-135m-gguf-int8.apr
