"""SPEC §5's two norm penalties, as plain functions of the per-layer squared norms."""

from __future__ import annotations

import torch
from torch import nn

from sweepdeck.engine.models import out_units, squared_layer_norms, weight_layers


def layer_terms(model: nn.Module, features_normalization: str | None) -> list[torch.Tensor]:
    """n_l per layer: g_l² (or ‖W_l‖²), divided by the output units when "f_out"."""
    norms = squared_layer_norms(model)
    if features_normalization != "f_out":
        return norms
    return [n / out_units(layer) for n, layer in zip(norms, weight_layers(model))]


def additive_penalty(terms: list[torch.Tensor], depth_normalization: bool) -> torch.Tensor:
    """S = Σ n_l, divided by the number of layers L when depth-normalised."""
    s = torch.stack(terms).sum()
    return s / len(terms) if depth_normalization else s


def multiplicative_penalty(terms: list[torch.Tensor], depth_normalization: bool) -> torch.Tensor:
    """P = Π n_l, raised to 1/L when depth-normalised."""
    p = torch.stack(terms).prod()
    return p.pow(1.0 / len(terms)) if depth_normalization else p
