apr import models/fixture/smollm2-135m --quantize int4 -o $WORK/smollm2-135m-int4.apr
