apr import models/fixture/smollm2-135m-q4_1.gguf -o $WORK/smollm2-135m-gguf-f32.apr
