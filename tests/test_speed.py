"""How the trainer runs (issue 9): layouts, evaluation, host reads, precision,
compile. Speed itself is measured in bench/, never asserted here."""

import torch

from conftest import tiny_raw
from engine.config import validate_config
from engine.data import load_dataset
from engine.models import weight_layers
from engine.train import StopFlags, train_trial
from engine.trials import build_trials

CL = torch.channels_last


def _trial(device="cpu", **overrides):
    cfg = validate_config(tiny_raw(device=device, **overrides))
    return build_trials(cfg)[0], cfg, load_dataset(cfg.dataset, device)


def test_model_and_images_are_channels_last_on_cpu():
    trial, cfg, data = _trial(wn=[0.9])
    assert data.x_train.is_contiguous(memory_format=CL) and data.x_test.is_contiguous(memory_format=CL)
    out = train_trial(trial, cfg, data, torch.device("cpu"), lambda e: None, StopFlags())
    conv = weight_layers(out.model)[0]
    assert conv.parametrizations.weight.original.is_contiguous(memory_format=CL)
