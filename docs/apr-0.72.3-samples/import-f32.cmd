apr import models/fixture/smollm2-135m -o $WORK/smollm2-135m-f32.apr
