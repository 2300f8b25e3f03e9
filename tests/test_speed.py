"""How the trainer runs (issue 9): layouts, evaluation, host reads, precision,
compile. Speed itself is measured in bench/, never asserted here."""

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import sweepdeck.engine.train as train
from conftest import tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.data import load_dataset
from sweepdeck.engine.events import EpochMetrics, LogLine, read_events
from sweepdeck.engine.models import build_model, layer_gain, weight_layers
from sweepdeck.engine.runner import run_sweep
from sweepdeck.engine.train import StopFlags, configure_backends, evaluate, train_trial
from sweepdeck.engine.trials import build_trials

ROOT = Path(__file__).resolve().parents[1]
CL = torch.channels_last


def _sweep(tmp_path: Path, name: str, **overrides) -> Path:
    raw = tiny_raw(**overrides)
    cfg = validate_config(raw)
    run_dir = tmp_path / name
    run_dir.mkdir()
    run_sweep(cfg, raw, build_trials(cfg), run_dir)
    return run_dir


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


def test_precision_sets_the_tf32_switches_every_time():
    cpu = torch.device("cpu")
    try:
        configure_backends(cpu, "tf32")
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
        configure_backends(cpu, "fp32")  # nothing left over from the earlier sweep
        assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
        assert not torch.backends.cudnn.benchmark  # autotuning is for CUDA only
    finally:
        configure_backends(cpu, "fp32")


def test_bf16_autocast_trains_on_cpu_and_is_deterministic(tmp_path):
    fp32 = _sweep(tmp_path, "fp32", wn=[0.9], n_epochs=1)
    a = _sweep(tmp_path, "a", wn=[0.9], n_epochs=1, precision="bf16")
    b = _sweep(tmp_path, "b", wn=[0.9], n_epochs=1, precision="bf16")
    assert store.comparable_metrics(a) == store.comparable_metrics(b)
    lossy, exact = store.comparable_metrics(a)[0], store.comparable_metrics(fp32)[0]
    assert lossy["test_loss"] != exact["test_loss"]  # autocast really ran in bfloat16
    assert float(lossy["test_loss"]) == pytest.approx(float(exact["test_loss"]), rel=0.05)


class _CompilerMissing(nn.Module):
    """What torch.compile gives where Inductor cannot build its kernels: a
    wrapper that fails on its first call, after running the model once."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        self.model(x)  # batch-norm statistics move before the failure
        raise RuntimeError("InductorError: CppCompileError: C++ compile error\nno C compiler found")


def test_compile_unavailable_trains_eagerly_after_one_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "_COMPILED", {})
    monkeypatch.setattr(train, "_NOT_COMPILABLE", set())
    monkeypatch.setattr(torch, "compile", lambda model, **kw: _CompilerMissing(model))
    overrides = dict(lr=[0.01, 0.02], bias=[True], batch_norm=[True])
    # In this process, as one worker would train them: the patched torch.compile stays here.
    eager = _train_here(**overrides)
    fallback = _train_here(compile=True, **overrides)
    warnings = [e for e in fallback if isinstance(e, LogLine) and e.level == "warning"]
    assert len(warnings) == 1  # the second trial of the shape does not try again
    assert "compile" in warnings[0].message and "unavailable" in warnings[0].message
    assert "\n" not in warnings[0].message
    assert _metrics(fallback) == _metrics(eager)  # nothing the attempt did remains


def _train_here(**overrides) -> list:
    cfg = validate_config(tiny_raw(**overrides))
    data = load_dataset(cfg.dataset, "cpu")
    events: list = []
    for trial in build_trials(cfg):
        train_trial(trial, cfg, data, torch.device("cpu"), events.append, StopFlags())
    return events


def _metrics(events: list) -> list[dict]:
    return [e.model_dump(exclude={"time", "epoch_time_s"}) for e in events if isinstance(e, EpochMetrics)]


def test_compile_once_per_model_shape(tmp_path, monkeypatch):
    """Real torch.compile (Inductor needs a C compiler): the second trial of a shape
    reuses the first's compilation, and training gives the eager numbers up to rounding."""
    monkeypatch.setattr(train, "_COMPILED", {})
    monkeypatch.setattr(train, "_NOT_COMPILABLE", set())
    overrides = dict(lr=[0.01, 0.02], n_epochs=1, dataset={"name": "shapes", "n_train": 128, "n_test": 32})  # one batch shape
    eager = _sweep(tmp_path, "eager", **overrides)
    compiled = _sweep(tmp_path, "compiled", compile=True, **overrides)
    notes = [e.message for e in read_events(compiled / store.EVENTS).events if isinstance(e, LogLine)]
    if any("unavailable" in n for n in notes):
        pytest.skip(f"torch.compile does not work on this machine: {notes}")
    assert [n.split("(")[1] for n in notes] == ["once per model shape in this process)", "reused the model compiled for this shape)"]
    for a, b in zip(store.comparable_metrics(eager), store.comparable_metrics(compiled)):
        assert float(a["train_loss"]) == pytest.approx(float(b["train_loss"]), rel=1e-4)
        assert float(a["test_loss"]) == pytest.approx(float(b["test_loss"]), rel=1e-4)


def test_gpu_bench_runs_its_cpu_version():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gpu
    finally:
        sys.path.remove(str(ROOT / "bench"))
    rows = gpu.main(["--device", "cpu", "--no-compile", "--epochs", "2", "--n-train", "128", "--only", "precision"])
    assert [r["precision"] for r in rows] == ["fp32", "tf32", "bf16"]
    assert all(r["status"] == "completed" and r["s_per_epoch"] > 0 and r["images_per_s"] > 0 for r in rows)
    sweeps = gpu.main(["--device", "cpu", "--n-train", "128", "--only", "parallel", "--parallel-epochs", "1"])
    assert [r["workers"] for r in sweeps] == ["per_device=1", "per_device=2"]
    assert all(r["statuses"] == ["completed"] and r["images_per_s"] > 0 for r in sweeps)


# --- on a GPU ------------------------------------------------------------------------------

@pytest.mark.cuda
def test_cuda_bf16_sweep_runs_channels_last_with_autotuning(tmp_path):
    run_dir = _sweep(tmp_path, "run", device="cuda", precision="bf16", wn=[0.9], l2_mul_lambda=[0.001])
    assert store.summarize_run(run_dir).status == "completed"
    data = load_dataset(validate_config(tiny_raw(device="cuda")).dataset, "cuda")
    assert data.x_train.is_contiguous(memory_format=CL)


@pytest.mark.cuda
def test_cuda_two_trials_share_one_gpu(tmp_path):
    run_dir = _sweep(tmp_path, "run", device="cuda", lr=[0.01, 0.02, 0.03], parallel={"per_device": 2, "threads": 1})
    assert store.summarize_run(run_dir).status == "completed"
    started = [e for e in read_events(run_dir / store.EVENTS).events if type(e).__name__ == "TrialStarted"]
    assert {e.worker for e in started} == {0, 1} and {e.device for e in started} == {"cuda:0"}


@pytest.mark.cuda
def test_cuda_no_synchronisation_inside_the_batch_loop():
    """cuda's sync debug mode warns on every host-device synchronisation: the count
    must not grow with the number of batches."""
    import warnings

    counts = []
    for bs in (64, 16):
        trial, cfg, data = _trial(device="cuda", batchsize=bs, wn=[0.9], l2_sum_lambda=[0.01], n_epochs=1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                train_trial(trial, cfg, data, torch.device("cuda"), lambda e: None, StopFlags())
            finally:
                torch.cuda.set_sync_debug_mode("default")
        counts.append(sum("synchroniz" in str(w.message) for w in caught))
    assert counts[0] == counts[1]
