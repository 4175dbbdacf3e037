apr inspect models/fixture/smollm2-135m --json
