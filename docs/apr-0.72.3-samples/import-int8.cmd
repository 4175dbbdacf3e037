apr import models/fixture/smollm2-135m --quantize int8 -o $WORK/smollm2-135m-int8.apr
