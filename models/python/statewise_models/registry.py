"""The five architectures by name: the one place that lists them (NAMES, importable without torch;
shell scripts read it with `python3 -m statewise_models.registry`) and maps a name to its model and
config classes (ARCHS)."""
from __future__ import annotations

from functools import lru_cache

NAMES = ("hawk", "griffin", "based", "alibi", "linearized")


@lru_cache(maxsize=None)
def _archs() -> dict:
    from .alibi import AlibiConfig, AlibiTransformer
    from .based import Based, BasedConfig
    from .griffin import Griffin, GriffinConfig
    from .hawk import Hawk, HawkConfig
    from .linearized import Linearized, LinearizedConfig

    archs = {
        "hawk": (Hawk, HawkConfig),
        "griffin": (Griffin, GriffinConfig),
        "based": (Based, BasedConfig),
        "alibi": (AlibiTransformer, AlibiConfig),
        "linearized": (Linearized, LinearizedConfig),
    }
    assert tuple(archs) == NAMES
    return archs


def __getattr__(name: str):
    if name == "ARCHS":  # {name: (model class, config class)}, imported on first use (torch)
        return _archs()
    raise AttributeError(name)


# What the shipped models use where it differs from the config defaults: ALiBi's KV cache is capped
# at the training length (2,048 tokens, a 48 MiB state) so that its state stays cacheable.
SHIPPED_OVERRIDES = {"alibi": {"max_context": 2048}}


def make_model(arch: str, overrides: dict | None = None):
    cls, cfg_cls = _archs()[arch]
    cfg = {**SHIPPED_OVERRIDES.get(arch, {}), **(overrides or {})}
    return cls(cfg_cls(**cfg))


def dequantize_state_dict(q8: dict) -> dict:
    """Inverse of train.quantize_state_dict: float32 weights from the int8 blocks and their scales."""
    out = {}
    for k, v in q8.items():
        if isinstance(v, dict):
            w = v["q"].float() * v["scale"].float()
            shape = v["shape"]
            w = w.reshape(*shape[:-1], shape[-1] + v["pad"])[..., : shape[-1]]
            out[k] = w.contiguous()
        else:
            out[k] = v.float()
    return out


def load_checkpoint(ck: dict, overrides: dict | None = None):
    """A model from train.py's model.pt (float weights) or model-q8.pt (int8 blocks); `overrides`
    change config fields that hold no weights (e.g. ALiBi's cache cap for evaluation)."""
    cls, cfg_cls = _archs()[ck["arch"]]
    model = cls(cfg_cls(**{**ck["config"], **(overrides or {})}))
    sd = ck["state_dict"] if "state_dict" in ck else dequantize_state_dict(ck["q8"])
    model.load_state_dict(sd)  # LM.load_state_dict: older checkpoints' key names migrate (lm.migrate_key)
    return model


if __name__ == "__main__":
    print(" ".join(NAMES))
