apr hex $WORK/smollm2-135m-int4.apr --tensor layers.0.self_attn.q_proj.weight --stats --json
