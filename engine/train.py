"""One trial: train a model on tensors already on the device, epoch by epoch (SPEC §6, §7).

The hot loop indexes the device-resident dataset per batch and never reads a
value back to the host; scalars are accumulated on the device and read once per
epoch. After every epoch the caller gets an EpochMetrics event, then the trial is
checkpointed (model, optimiser, scheduler, RNG states), so a crash loses at most
the epoch in progress.

How the work runs (issue 9; measured in bench/RESULTS.md) changes nothing that
is computed beyond float rounding: model and images in channels_last on CPU and
CUDA; evaluation under inference_mode, each weight-normalised weight computed
once per pass, in batches of a size fixed per device type; cuDNN autotuning on
CUDA. Two config keys trade exactness for speed: `precision` (TF32 or bf16
autocast) and `compile` (torch.compile).
"""

from __future__ import annotations

import copy
import math
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from sweepdeck.engine.checkpoint import Checkpoint, checkpoint_bytes, restore_rng
from sweepdeck.engine.config import SweepConfig
from sweepdeck.engine.data import DataBundle, image_memory_format
from sweepdeck.engine.events import EpochMetrics, LogLine, TrialStatus
from sweepdeck.engine.models import build_model, layer_gain, squared_layer_norms, weight_layers
from sweepdeck.engine.penalties import additive_penalty, layer_terms, multiplicative_penalty
from sweepdeck.engine.trials import Trial



@dataclass
class StopFlags:
    """Set from signal handlers; checked between batches (a plain attribute read)."""

    stop: bool = False  # end the sweep: the trial is interrupted, resumable
    skip: bool = False  # end this trial only
    signal: Optional[int] = None  # the signal that set `stop` (SIGINT, SIGTERM): the CLI exits 128 + it, as shells expect


@dataclass
class TrialOutcome:
    status: TrialStatus  # failed is set by the runner, which catches the exception
    epochs_done: int
    error: Optional[str] = None
    margin: Optional[float] = None
    ranks: Optional[list[int]] = None
    test_misclassified: Optional[list[int]] = None
    model: Optional[nn.Module] = field(default=None, repr=False)


@dataclass
class EvalResult:
    loss: float
    acc: float
    f1: float
    confusion: list[list[int]]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def pick_device(name: str) -> torch.device:
    """`auto` is cuda, then mps, then cpu."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


def flip_labels(y: torch.Tensor, fraction: float, seed: int, binary: bool, n_classes: int) -> torch.Tensor:
    """A copy of `y` with round(fraction·N) labels flipped, chosen by `seed`."""
    if fraction <= 0:
        return y
    gen = torch.Generator().manual_seed(seed)
    n_flip = round(fraction * len(y))
    idx = torch.randperm(len(y), generator=gen)[:n_flip].to(y.device)
    y = y.clone()
    if binary:
        y[idx] = -y[idx]
    else:
        shift = torch.randint(1, n_classes, (n_flip,), generator=gen).to(y.device)
        y[idx] = (y[idx] + shift) % n_classes
    return y


def configure_backends(device: torch.device, precision: str) -> None:
    """The process-wide switches for this trial, all set every time so that none
    leaks from an earlier sweep run in the same process."""
    # The shapes repeat every batch: cuDNN times its algorithms once per shape and keeps the fastest.
    torch.backends.cudnn.benchmark = device.type == "cuda"
    # "fp32" is IEEE float32 throughout, as in the paper; PyTorch's own default lets
    # cuDNN convolutions use TF32 on Ampere and later, "tf32" lets matmuls do it too.
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"


def eval_batch_size(device: torch.device) -> int:
    """Images per evaluation batch: fixed per device type, never probed at run time,
    because the split decides the float rounding of the sums and a resumed trial
    must split as the uninterrupted one did. CPU: 64-256 run alike, 1024 falls out
    of cache and takes up to 1.7× as long (bench/cpu_layouts.py). GPUs and MPS:
    1024, big batches keep them busy (not measured: no GPU was lent)."""
    return 256 if device.type == "cpu" else 1024


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def data_loss(out: torch.Tensor, y: torch.Tensor, binary: bool, reduction: str = "mean") -> torch.Tensor:
    """MSE against ±1 for the paper's binary task, cross-entropy otherwise."""
    if binary:
        return F.mse_loss(out.squeeze(1), y, reduction=reduction)
    return F.cross_entropy(out, y, reduction=reduction)


def _class_index(pred_or_y: torch.Tensor, binary: bool) -> torch.Tensor:
    return (pred_or_y > 0).long() if binary else pred_or_y.long()


@torch.inference_mode()  # no autograd records at all: cheaper than no_grad
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, binary: bool, n_classes: int,
             amp: Optional[torch.autocast] = None) -> tuple[EvalResult, torch.Tensor]:
    """Loss, accuracy, F1 and confusion matrix on a whole split in eval mode; also
    the per-sample correctness mask (on the device)."""
    model.eval()
    bs = eval_batch_size(x.device)
    loss_sum = torch.zeros((), device=x.device)
    correct_parts = []
    conf = torch.zeros(n_classes * n_classes, dtype=torch.long, device=x.device)
    # cached(): a weight-normalised W = g·V/‖V‖ is computed once per pass, not once per batch.
    with parametrize.cached(), amp or nullcontext():
        for i in range(0, len(x), bs):
            out = model(x[i:i + bs])
            yb = y[i:i + bs]
            loss_sum += data_loss(out, yb, binary, reduction="sum")
            pred = _class_index(out.squeeze(1), True) if binary else out.argmax(1)
            truth = _class_index(yb, binary)
            # index_add_, not bincount: bincount waits for the GPU to learn its output size.
            conf.index_add_(0, truth * n_classes + pred, torch.ones_like(pred))
            correct_parts.append(pred == truth)
    matrix = conf.view(n_classes, n_classes).tolist()  # the one host read
    n = len(x)
    correct = sum(matrix[i][i] for i in range(n_classes))
    return EvalResult(loss=float(loss_sum) / n, acc=correct / n, f1=_f1(matrix, binary), confusion=matrix), torch.cat(correct_parts)


def _f1(matrix: list[list[int]], binary: bool) -> float:
    """F1 of the +1 class for binary tasks, macro F1 otherwise. Rows: truth, columns: prediction."""
    k = len(matrix)
    classes = [1] if binary else range(k)
    scores = []
    for c in classes:
        tp = matrix[c][c]
        fp = sum(matrix[r][c] for r in range(k)) - tp
        fn = sum(matrix[c]) - tp
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


@torch.inference_mode()
def unit_norm_margin(model: nn.Module, x: torch.Tensor, y: torch.Tensor, binary: bool,
                     amp: Optional[torch.autocast] = None) -> float:
    """Mean margin on (x, y) of a copy of the model whose every layer norm is 1
    (evaluated as `evaluate` does, once per trial)."""
    unit = copy.deepcopy(model).eval()
    for layer in weight_layers(unit):
        g = layer_gain(layer)
        if g is not None:
            g.fill_(1.0)
        else:
            layer.weight.div_(layer.weight.norm())
    bs = eval_batch_size(x.device)
    total = torch.zeros((), device=x.device)
    with parametrize.cached(), amp or nullcontext():
        for i in range(0, len(x), bs):
            out, yb = unit(x[i:i + bs]).float(), y[i:i + bs]
            if binary:
                total += (yb * out.squeeze(1)).sum()
            else:
                true = out.gather(1, yb[:, None]).squeeze(1)
                other = out.scatter(1, yb[:, None], float("-inf")).amax(1)
                total += (true - other).sum()
    return float(total) / len(x)


@torch.no_grad()
def numerical_ranks(model: nn.Module, rel_tol: float = 0.01) -> list[int]:
    """Per weight matrix: singular values above 1% of the largest (convs flattened per output)."""
    ranks = []
    for layer in weight_layers(model):
        w = layer.weight.detach().float().reshape(layer.weight.shape[0], -1).cpu()
        s = torch.linalg.svdvals(w)
        ranks.append(int((s > rel_tol * s.max()).sum()) if s.numel() else 0)
    return ranks


# --- the loop ----------------------------------------------------------------------------

def build_trial_model(cfg: SweepConfig, trial: Trial, data: DataBundle) -> nn.Module:
    p = trial.params
    return build_model(
        cfg.model.name, in_channels=data.in_channels, n_outputs=data.n_outputs,
        image_size=data.image_size, bias=p.bias, batch_norm=p.batch_norm, wn=p.wn,
    )


def train_trial(
    trial: Trial,
    cfg: SweepConfig,
    data: DataBundle,
    device: torch.device,
    emit: Callable[[object], None],
    flags: StopFlags,
    save_checkpoint: Optional[Callable[[int, bytes], None]] = None,
    resume_from: Optional[Checkpoint] = None,
    on_batch: Optional[Callable[[int, int, int], None]] = None,
) -> TrialOutcome:
    """Train one trial to the end (or until stopped), emitting one event per epoch
    (and, with `compile`, one log line saying what compiling cost). After each
    epoch's event, `save_checkpoint(epoch, bytes)` gets the trial's checkpoint.

    With `resume_from` (a checkpoint), training continues after its epoch. `on_batch(epoch,
    batches done, batches per epoch)` is called after every batch (the progress display's)."""
    p = trial.params
    n_classes = 2 if data.binary else data.n_outputs
    seed_everything(p.seed)
    configure_backends(device, cfg.precision)
    # The layout of the resident images (engine/data.py), so no batch is converted.
    model = build_trial_model(cfg, trial, data).to(device, memory_format=image_memory_format(device))
    # bf16: convolutions and matmuls under autocast; weights, optimiser state and losses stay fp32.
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16")
    # `forward` runs the training batches: the model itself, or a compiled twin sharing its parameters.
    forward = model
    if cfg.compile:
        model, forward = compile_model(model, data, p.batchsize, amp, emit)
    opt = make_optimizer(p.opt_name, model.parameters(), p.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.n_epochs, eta_min=min(cfg.lr_min, p.lr))
    y_train = flip_labels(data.y_train, cfg.mislabel_percentage, p.seed, data.binary, n_classes)

    start_epoch = 1
    ckpt = resume_from
    if ckpt is not None:
        model.load_state_dict(ckpt.model)
        opt.load_state_dict(ckpt.optimizer)
        sched.load_state_dict(ckpt.scheduler)
        restore_rng(ckpt.rng, device)
        start_epoch = ckpt.epoch + 1

    penalised = p.l2_sum_lambda > 0 or p.l2_mul_lambda > 0
    n, bs = len(data.x_train), p.batchsize
    n_batches = math.ceil(n / bs)
    epoch = start_epoch - 1
    for epoch in range(start_epoch, cfg.n_epochs + 1):
        t0 = time.perf_counter()
        forward.train()
        # Shuffling depends only on (seed, epoch), so a resumed trial sees the same batches.
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(p.seed * 100_003 + epoch)).to(device)
        sums = torch.zeros(3, device=device)  # data loss, λ·S, λ·P
        zero = torch.zeros((), device=device)
        for b in range(n_batches):
            if flags.stop or flags.skip:
                return TrialOutcome(status="interrupted" if flags.stop else "skipped", epochs_done=epoch - 1)
            idx = perm[b * bs:(b + 1) * bs]
            with amp:
                loss_data = data_loss(forward(data.x_train[idx]), y_train[idx], data.binary)
            pen_sum = pen_mul = zero
            if penalised:  # the layer terms once per step, shared by both penalties
                terms = layer_terms(model, p.features_normalization)
                if p.l2_sum_lambda > 0:
                    pen_sum = p.l2_sum_lambda * additive_penalty(terms, p.depth_normalization)
                if p.l2_mul_lambda > 0:
                    pen_mul = p.l2_mul_lambda * multiplicative_penalty(terms, p.depth_normalization)
            loss = loss_data + pen_sum + pen_mul
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sums += torch.stack([loss_data.detach(), pen_sum.detach(), pen_mul.detach()])
            if on_batch is not None:
                on_batch(epoch, b + 1, n_batches)
        lr_used = opt.param_groups[0]["lr"]
        sched.step()

        train_loss, penalty_sum, penalty_mul = (sums / n_batches).tolist()
        if not all(math.isfinite(v) for v in (train_loss, penalty_sum, penalty_mul)):
            return TrialOutcome(status="diverged", epochs_done=epoch - 1, error=f"loss became {train_loss} in epoch {epoch}")
        test, test_correct = evaluate(model, data.x_test, data.y_test, data.binary, n_classes, amp)
        train = evaluate(model, data.x_train, y_train, data.binary, n_classes, amp)[0] if cfg.eval_train_set else None
        if not math.isfinite(test.loss):
            return TrialOutcome(status="diverged", epochs_done=epoch - 1, error=f"test loss became {test.loss} in epoch {epoch}")
        with torch.no_grad():
            norms = [float(v) for v in torch.stack(squared_layer_norms(model)).sqrt().tolist()]
            rho = float(multiplicative_penalty(layer_terms(model, p.features_normalization), p.depth_normalization).sqrt())
        emit(EpochMetrics(
            trial_id=trial.id, epoch=epoch,
            train_loss=train_loss, penalty_sum=penalty_sum, penalty_mul=penalty_mul,
            train_eval_loss=train.loss if train else None, train_acc=train.acc if train else None,
            train_f1=train.f1 if train else None, train_confusion=train.confusion if train else None,
            test_loss=test.loss, test_acc=test.acc, test_f1=test.f1, test_confusion=test.confusion,
            lr=lr_used, epoch_time_s=time.perf_counter() - t0, rho=rho, layer_norms=norms,
        ))
        if save_checkpoint is not None:
            save_checkpoint(epoch, checkpoint_bytes(epoch, trial.key, model, opt, sched))

    if epoch < start_epoch:  # resumed after its last epoch: nothing evaluated in this process
        _, test_correct = evaluate(model, data.x_test, data.y_test, data.binary, n_classes, amp)
    return TrialOutcome(
        status="completed",
        epochs_done=epoch,
        margin=unit_norm_margin(model, data.x_train, y_train, data.binary, amp),
        ranks=numerical_ranks(model),
        test_misclassified=(~test_correct).nonzero().flatten().tolist(),
        model=model,
    )


# --- compile (config `compile`) ------------------------------------------------------------

# One compiled model per architecture and device, for every trial of this process:
# a new module instance (weight normalisation makes a new class per instance)
# would make torch.compile trace and compile again.
_COMPILED: dict[tuple, tuple[nn.Module, nn.Module]] = {}
_NOT_COMPILABLE: set[tuple] = set()


def compile_model(model: nn.Module, data: DataBundle, batchsize: int, amp: torch.autocast,
                  emit: Callable[[object], None]) -> tuple[nn.Module, nn.Module]:
    """(model, forward): `forward` is torch.compile's twin of `model`, sharing its
    parameters, compiled here for every training batch shape of the trial so that
    no epoch's time includes compiling; one LogLine says how long that took.

    Trials of a shape compiled before reuse that model, loaded with this trial's
    initial weights (so a TrialOutcome's model is this trial's only until the
    next trial of its shape starts). Where compiling fails (no C compiler, no
    Triton, a model Dynamo cannot trace) the trial trains eagerly, after one
    warning."""
    device = next(model.parameters()).device
    state = model.state_dict()
    key = (str(device), repr(model), tuple((k, tuple(v.shape)) for k, v in state.items()))
    if key in _NOT_COMPILABLE:
        return model, model
    if key in _COMPILED:
        model, forward = _COMPILED[key]
        model.load_state_dict(state)
    else:
        # Each shape keeps two graphs (full and last batch) on the same code object
        # (nn.Sequential.forward): the default limit of 8 would stop at 4 shapes.
        from torch._dynamo import config as dynamo_config

        dynamo_config.cache_size_limit = max(dynamo_config.cache_size_limit, 64)
        forward = torch.compile(model)
    initial = copy.deepcopy(state)
    t0 = time.perf_counter()
    try:
        # Compiling happens on the first call per shape: make those calls now, on
        # throwaway steps (no optimiser step; RNG and batch-norm statistics restored).
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            forward.train()
            for size in sorted({batchsize, len(data.x_train) % batchsize} - {0}):
                with amp:
                    out = forward(data.x_train[:size])
                out.float().sum().backward()
    except Exception as exc:  # Inductor's and Triton's errors have no common base class
        _NOT_COMPILABLE.add(key)
        _COMPILED.pop(key, None)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        emit(LogLine(level="warning", message=f"compile: torch.compile is unavailable here ({type(exc).__name__}: {reason}); training without it"))
        forward = model
    else:
        seconds = time.perf_counter() - t0
        what = "reused the model compiled for this shape" if key in _COMPILED else "once per model shape in this process"
        _COMPILED[key] = (model, forward)
        emit(LogLine(message=f"compile: {seconds:.1f} s ({what})"))
    model.load_state_dict(initial)
    model.zero_grad(set_to_none=True)
    return model, forward
