"""The networks a sweep trains (SPEC §4) and the one weight-normalisation wrapper.

Three plain CNNs from the paper's implementation, any torchvision classifier by
name, or the user's own model from an import path `package.module:factory`.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Union

import torch
from torch import nn
from torch.nn.utils import parametrize

from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.usercode import NOT_ON_PATH, stdlib_problem


class ModelError(SweepdeckError, ValueError):
    """A model name or import path that cannot be built; one-line message."""


@dataclass(frozen=True)
class CNNSpec:
    channels: tuple[int, ...]
    hidden: int
    bn_on_linear: bool = True


CNN_SPECS: dict[str, CNNSpec] = {
    "underparameterized": CNNSpec(channels=(16, 32, 64, 128), hidden=512),
    "overparameterized": CNNSpec(channels=(64, 128, 256, 512), hidden=2048),
    "tiny": CNNSpec(channels=(4, 8), hidden=16, bn_on_linear=False),
}


class PlainCNN(nn.Sequential):
    """conv3x3 → [BN] → ReLU → maxpool (all but the last conv) → global avg pool → linear → [BN] → ReLU → linear."""

    def __init__(self, spec: CNNSpec, in_channels: int, n_outputs: int, bias: bool, batch_norm: bool):
        layers: list[nn.Module] = []
        prev = in_channels
        for i, ch in enumerate(spec.channels):
            layers.append(nn.Conv2d(prev, ch, kernel_size=3, padding=1, bias=bias))
            if batch_norm:
                layers.append(nn.BatchNorm2d(ch))
            layers.append(nn.ReLU(inplace=True))
            if i < len(spec.channels) - 1:
                layers.append(nn.MaxPool2d(2))
            prev = ch
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(prev, spec.hidden, bias=bias)]
        if batch_norm and spec.bn_on_linear:
            layers.append(nn.BatchNorm1d(spec.hidden))
        layers += [nn.ReLU(inplace=True), nn.Linear(spec.hidden, n_outputs, bias=bias)]
        super().__init__(*layers)


# --- weight normalisation: W = g · V / ‖V‖, one scalar g per layer ----------------------

class ScalarWeightNorm(nn.Module):
    """Parametrisation of a weight by its direction V and one scalar gain g (SPEC §4)."""

    def __init__(self, g0: float):
        super().__init__()
        self.g = nn.Parameter(torch.tensor(float(g0)))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.g * v / v.norm()


WN = Union[float, Literal["default"], None]


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The convolution and linear layers, in forward order: the layers the penalties see."""
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def out_units(layer: nn.Module) -> int:
    """A layer's output units (its weight's first dimension), read from the layer:
    `layer.weight.shape[0]` would compute a weight-normalised weight just for its shape."""
    return layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features


def apply_weight_norm(model: nn.Module, wn: WN) -> nn.Module:
    """Re-parameterise every conv/linear weight; g starts at `wn`, or at ‖W‖ for "default"."""
    if wn is None:
        return model
    for layer in weight_layers(model):
        w = layer.weight.detach()
        g0 = float(w.norm()) if wn == "default" else float(wn)
        parametrize.register_parametrization(layer, "weight", ScalarWeightNorm(g0), unsafe=True)
    return model


def layer_gain(layer: nn.Module) -> Optional[torch.Tensor]:
    """g of a weight-normalised layer, None for a plain one."""
    if parametrize.is_parametrized(layer, "weight"):
        return layer.parametrizations.weight[0].g
    return None


def squared_layer_norms(model: nn.Module) -> list[torch.Tensor]:
    """‖W_l‖² per layer (g_l² under weight normalisation), differentiable."""
    out = []
    for layer in weight_layers(model):
        g = layer_gain(layer)
        if g is not None:
            out.append(g * g)
        else:
            out.append(layer.weight.pow(2).sum())
    return out


# --- building ---------------------------------------------------------------------------

def build_model(
    name: str,
    *,
    in_channels: int,
    n_outputs: int,
    image_size: int,
    bias: bool,
    batch_norm: bool,
    wn: WN,
) -> nn.Module:
    """A fresh model on the CPU. Batch norm is off under weight normalisation (the
    original's rule); the caller says so to the user."""
    if wn is not None:
        batch_norm = False
    if name in CNN_SPECS:
        model: nn.Module = PlainCNN(CNN_SPECS[name], in_channels, n_outputs, bias, batch_norm)
    elif ":" in name:
        model = _user_model(name, in_channels=in_channels, n_outputs=n_outputs, image_size=image_size)
    else:
        model = _torchvision_model(name, in_channels=in_channels, n_outputs=n_outputs)
    return apply_weight_norm(model, wn)


def _user_model(path: str, **kwargs: int) -> nn.Module:
    """Import and call the factory a config names. It is the user's code: whatever
    it does wrong, including exiting, becomes one ModelError line, so a preflight
    refuses the sweep and a trial fails alone instead of the runner ending."""
    problem = stdlib_problem(path)
    if problem:
        raise ModelError(f"model {path!r}: {problem}")
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ModelError(f"model {path!r}: cannot import {module_name!r}: not found on the import path: {NOT_ON_PATH}") from None
        raise ModelError(f"model {path!r}: cannot import {module_name!r} ({_one_line(exc)})") from exc
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # import-time code is the user's too
        raise ModelError(f"model {path!r}: cannot import {module_name!r} ({_one_line(exc)})") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ModelError(f"model {path!r}: {module_name} has no callable {attr!r}")
    _check_factory(path, module_name, attr, factory)
    accepted = _accepted_kwargs(factory, kwargs)
    try:
        model = factory(**accepted)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        raise ModelError(f"model {path!r}: the factory raised {_one_line(exc)}") from exc
    if not isinstance(model, nn.Module):
        raise ModelError(f"model {path!r}: the factory returned {type(model).__name__}, expected a torch.nn.Module")
    return model


def _check_factory(path: str, module_name: str, attr: str, factory: Callable) -> None:
    """Only a Python function or class of the named package: the file the dry run
    and the TUI showed is then the code that runs, and a C function re-exported
    under a harmless name (os.abort, which no exception handler can stop) is refused."""
    if not (inspect.isfunction(factory) or inspect.isclass(factory)):
        raise ModelError(f"model {path!r}: {attr} is a {type(factory).__name__}, not a Python function or class: "
                         f"define a function or torch.nn.Module class in {module_name}")
    home = getattr(factory, "__module__", None) or "?"
    if home.split(".")[0] != module_name.split(".")[0]:
        where = f"{home}:{getattr(factory, '__qualname__', attr)}"
        raise ModelError(f"model {path!r}: {attr} is {where!r}, defined outside the {module_name.split('.')[0]} package: "
                         f"name it where it is defined, or define a factory in {module_name}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _accepted_kwargs(fn: Callable, kwargs: dict) -> dict:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def _torchvision_model(name: str, *, in_channels: int, n_outputs: int) -> nn.Module:
    import torchvision

    try:
        model = torchvision.models.get_model(name, weights=None, num_classes=n_outputs)
    except (ValueError, KeyError, TypeError):
        known = ", ".join([*CNN_SPECS, "resnet18", "vit_b_16", "..."])
        raise ModelError(f"model {name!r} is unknown: use one of {known}, any torchvision.models name, or 'package.module:factory'") from None
    if in_channels != 3:
        _adapt_first_conv(model, in_channels)
    return model


def _adapt_first_conv(model: nn.Module, in_channels: int) -> None:
    """Swap the first convolution for one with `in_channels` inputs (MNIST on a ResNet)."""
    for parent in model.modules():
        for child_name, child in parent.named_children():
            if isinstance(child, nn.Conv2d):
                setattr(parent, child_name, nn.Conv2d(
                    in_channels, child.out_channels, child.kernel_size, child.stride,
                    child.padding, bias=child.bias is not None,
                ))
                return
