"""How the trainer runs (issue 9): layouts, evaluation, host reads, precision,
compile. Speed itself is measured in bench/, never asserted here."""

import sys

import pytest
import torch
from torch import nn

import engine.train as train
from conftest import tiny_raw
from engine.config import validate_config
from engine.data import load_dataset
from engine.models import build_model, layer_gain, weight_layers
from engine.train import StopFlags, evaluate, train_trial
from engine.trials import build_trials

CL = torch.channels_last


def _trial(device="cpu", **overrides):
    cfg = validate_config(tiny_raw(device=device, **overrides))
    return build_trials(cfg)[0], cfg, load_dataset(cfg.dataset, device)


def _wn_model(seed=0) -> nn.Module:
    torch.manual_seed(seed)
    return build_model("tiny", in_channels=3, n_outputs=1, image_size=32, bias=True, batch_norm=False, wn=0.9).to(memory_format=CL)


def test_model_and_images_are_channels_last_on_cpu():
    trial, cfg, data = _trial(wn=[0.9])
    assert data.x_train.is_contiguous(memory_format=CL) and data.x_test.is_contiguous(memory_format=CL)
    out = train_trial(trial, cfg, data, torch.device("cpu"), lambda e: None, StopFlags())
    conv = weight_layers(out.model)[0]
    assert conv.parametrizations.weight.original.is_contiguous(memory_format=CL)


def test_evaluation_batch_size_changes_only_rounding(monkeypatch):
    _, _, data = _trial(dataset={"name": "shapes", "n_train": 300, "n_test": 100})
    model = _wn_model()
    a, mask_a = evaluate(model, data.x_train, data.y_train, True, 2)
    monkeypatch.setattr(train, "eval_batch_size", lambda device: 7)  # 43 batches, the last one short
    b, mask_b = evaluate(model, data.x_train, data.y_train, True, 2)
    assert a.confusion == b.confusion and torch.equal(mask_a, mask_b)
    assert a.loss == pytest.approx(b.loss, rel=1e-5)
    assert sum(map(sum, a.confusion)) == 300


def test_evaluation_sees_weights_changed_since_the_last_pass():
    """parametrize.cached() holds each W = g·V/‖V‖ for one pass only."""
    _, _, data = _trial()
    model = _wn_model()
    x, y = data.x_test, data.y_test
    before, _ = evaluate(model, x, y, True, 2)
    with torch.no_grad():
        layer_gain(weight_layers(model)[-1]).mul_(3.0)
        expected = float(((model(x).squeeze(1) - y) ** 2).mean())
    after, _ = evaluate(model, x, y, True, 2)
    assert after.loss == pytest.approx(expected, rel=1e-5) and after.loss != pytest.approx(before.loss)


def _host_reads_from_engine(monkeypatch, trial, cfg, data) -> int:
    """How many times engine code reads a tensor's value back (item, tolist, float, int, bool)."""
    count = 0

    def counting(name):
        real = getattr(torch.Tensor, name)

        def wrapper(self, *args, **kwargs):
            nonlocal count
            if "/engine/" in sys._getframe(1).f_code.co_filename:
                count += 1
            return real(self, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, name, wrapper)

    for name in ("item", "tolist", "__float__", "__int__", "__bool__", "__index__"):
        counting(name)
    train_trial(trial, cfg, data, torch.device(cfg.device), lambda e: None, StopFlags())
    monkeypatch.undo()
    return count


def test_no_host_reads_inside_the_batch_loop(monkeypatch):
    """Reads per epoch are fine; one per batch would stall a GPU on every step."""
    counts = []
    for bs in (64, 16):  # 4 and 16 batches per epoch
        trial, cfg, data = _trial(batchsize=bs, wn=[0.9], l2_sum_lambda=[0.01], l2_mul_lambda=[0.01], n_epochs=1)
        counts.append(_host_reads_from_engine(monkeypatch, trial, cfg, data))
    assert counts[0] == counts[1] > 0
