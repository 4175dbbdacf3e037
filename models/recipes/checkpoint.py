"""The model of a recipe, and its committed form: every trained tensor, with the token embedding
(and an untied lm_head) cut down to the rows of the tokens the corpus used (USED_IDS).

The other rows never took part in training (train.py's softmax runs over the used tokens only).
build.py fills them with FILL_STD-scaled noise made from integers only (a sum of four uniform
draws from torch's seeded mt19937, times one constant), so that the full checkpoint is the same
bytes on any machine, without a libm or vector-width dependence."""
import transformers

from common import RecipeError

USED_IDS = "recipe.used_token_ids"
FILL_STD = 0.02  # the configs' initializer_range, as for the trained rows' initial values
_FILL_HALF_RANGE = 4096  # draws from [-4096, 4096): a sum of four has std 8192 / sqrt(3)
_FILL_ROWS_PER_DRAW = 4096


def build_model(recipe, dtype):
    import torch

    arch = recipe["architecture"]
    cls = getattr(transformers, arch, None)
    if cls is None:
        raise RecipeError(f"transformers has no {arch}")
    config = cls.config_class(**recipe["config"])
    config.architectures = [arch]
    torch.manual_seed(recipe["train"]["seed"])
    return cls(config).to(dtype)


def vocab_keys(model):
    """State-dict names of the input embedding and of the output projection (None when tied)."""
    params = dict(model.named_parameters())  # a tied lm_head is not listed again
    emb = model.get_input_embeddings().weight
    head = model.get_output_embeddings().weight
    emb_key = next(k for k, p in params.items() if p is emb)
    return emb_key, next((k for k, p in params.items() if p is head and head is not emb), None)


def own_state(model):
    """The model's state dict without the second name of a tied tensor."""
    state, seen = {}, set()
    for key, tensor in model.state_dict().items():
        if tensor.data_ptr() not in seen:
            seen.add(tensor.data_ptr())
            state[key] = tensor
    return state


def compact_state(model, used):
    """The committed tensors: the state dict with the vocabulary rows cut to used."""
    state = {k: v.detach().clone().contiguous() for k, v in own_state(model).items()}
    for key in filter(None, vocab_keys(model)):
        state[key] = state[key].index_select(0, used).contiguous()
    state[USED_IDS] = used.clone()
    return state


def _fill(rows, cols, seed):
    import torch

    gen = torch.Generator().manual_seed(seed)
    scale = FILL_STD / (2 * _FILL_HALF_RANGE / 3 ** 0.5)
    out = torch.empty(rows, cols, dtype=torch.float32)
    for r0 in range(0, rows, _FILL_ROWS_PER_DRAW):
        r1 = min(rows, r0 + _FILL_ROWS_PER_DRAW)
        draws = torch.randint(-_FILL_HALF_RANGE, _FILL_HALF_RANGE, (r1 - r0, 4, cols), generator=gen,
                              dtype=torch.int32)
        out[r0:r1] = draws.sum(dim=1, dtype=torch.int32).to(torch.float32) * scale
    return out


def load_compact(model, state, seed):
    """Load the committed tensors into model; the unused vocabulary rows get the integer fill.
    Every tensor must come from the file: nothing of the model's own random init is kept."""
    import torch

    own = own_state(model)
    names = set(state) - {USED_IDS}
    if names != set(own):
        raise RecipeError(f"weights file does not match the recipe's model: missing "
                          f"{sorted(set(own) - names)[:5]}, unexpected {sorted(names - set(own))[:5]}")
    used = state[USED_IDS]
    src = dict(state)
    for i, key in enumerate(filter(None, vocab_keys(model))):
        full = _fill(own[key].shape[0], own[key].shape[1], seed + i)
        full[used] = state[key].to(torch.float32)
        src[key] = full
    with torch.no_grad():
        for key, tensor in own.items():
            if tuple(src[key].shape) != tuple(tensor.shape):
                raise RecipeError(f"{key}: weights file has shape {tuple(src[key].shape)}, the recipe's "
                                  f"config {tuple(tensor.shape)}")
            tensor.copy_(src[key])
    return used.numel()
