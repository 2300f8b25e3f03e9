"""Datasets as whole tensors on the training device (SPEC §3).

`load_dataset(cfg.dataset, device)` is called once per run; every trial indexes the
same tensors per batch (no DataLoader, no per-sample `__getitem__`). Images are
float32 [N, C, H, W], normalised; labels are ±1 float32 for a two-class task (first
listed class → −1, second → +1, SPEC §3) or int64 class indices 0..K−1 in the
order the classes were listed. On CPU and CUDA the images are held in the
channels_last memory layout (the same logical [N, C, H, W] tensor, stored NHWC),
the layout the trainer converts its model to: see `image_memory_format`.

Datasets:
- `shapes`: procedurally generated 32×32 RGB shapes (circle, square, triangle,
  cross), no files, deterministic per `seed`; train and test come from independent
  random streams. Each class has 5000 training and 1000 test images nominally
  (`n_train`/`n_test` null), but any size can be asked for.
- `cifar10`, `mnist`, `fashion_mnist`: torchvision's on-disk files, read as whole
  arrays and converted in one vectorised operation.
- `imagefolder`: `root/<class>/*.png|jpg…`, or `root/train/<class>/…` plus an
  optional `root/test/<class>/…`. Classes are the folder names in sorted order;
  without a test split the last 20% (by file name) of each class is held out.
  Images are resized to 32×32 RGB. The dataset order is round-robin over classes
  (first file of each class, then the second…), so "the first n" stays balanced.

The first `n_train` / `n_test` images of the chosen classes are taken in dataset
order; asking for more than there are gives all of them, and `description` says so.
Every failure is a `DataError` whose message is one line: what is wrong, where it
looked, how to fix it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import torch

from sweepdeck.engine.errors import SweepdeckError

if TYPE_CHECKING:  # sweepdeck.engine.config is light; only the type is needed here
    from sweepdeck.engine.config import DatasetConfig


class DataError(SweepdeckError):
    """A dataset that cannot be loaded; the message is one line saying what is
    wrong, where it looked and how to fix it."""


@dataclass
class DataBundle:
    x_train: torch.Tensor  # float32 [N, C, H, W], normalised, on the device, in image_memory_format
    y_train: torch.Tensor  # binary: float32 ±1 [N]; multi-class: int64 0..K-1 [N]
    x_test: torch.Tensor
    y_test: torch.Tensor
    binary: bool
    n_outputs: int  # 1 for binary (one output, MSE against ±1), else K
    in_channels: int
    image_size: int  # H (= W)
    class_names: list[str]  # in label order: binary → [−1 class, +1 class]
    description: str  # one line for reports

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    def share_memory_(self) -> "DataBundle":
        """Move the CPU tensors into shared memory, so worker processes map this one
        copy instead of each holding their own (4 CPU workers, not 4x the memory)."""
        for t in (self.x_train, self.y_train, self.x_test, self.y_test):
            t.share_memory_()
        return self

    def to(self, device: torch.device) -> "DataBundle":
        """This bundle on `device` (itself when already there), images in the device's layout."""
        if self.x_train.device == device:
            return self
        layout = image_memory_format(device)

        def move(t: torch.Tensor, images: bool) -> torch.Tensor:
            return t.to(device, memory_format=layout) if images else t.to(device)

        return dataclasses.replace(
            self, x_train=move(self.x_train, True), y_train=move(self.y_train, False),
            x_test=move(self.x_test, True), y_test=move(self.y_test, False))

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])


# --- constants -------------------------------------------------------------------

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
FASHION_MEAN, FASHION_STD = (0.2860,), (0.3530,)

SHAPES_CLASSES = ["circle", "square", "triangle", "cross"]
SHAPES_PER_CLASS = {"train": 5000, "test": 1000}
SHAPES_SIZE = 32
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
IMAGEFOLDER_SIZE = 32
HOLDOUT_FRACTION = 0.2

_TITLES = {"shapes": "shapes", "cifar10": "CIFAR-10", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "imagefolder": "imagefolder"}
_DOWNLOAD_HINT = '"dataset.download": true (needs internet)'


# --- the entry point ---------------------------------------------------------------

def load_dataset(cfg: "DatasetConfig", device: torch.device | str = "cpu") -> DataBundle:
    """The dataset of `cfg` as normalised tensors on `device` (see the module doc)."""
    device = torch.device(device)
    loaders = {
        "shapes": _load_shapes,
        "cifar10": _load_cifar10,
        "mnist": _load_mnist,
        "fashion_mnist": _load_mnist,
        "imagefolder": _load_imagefolder,
    }
    try:
        loader = loaders[cfg.name]
    except KeyError:
        raise DataError(f"dataset.name: unknown dataset {cfg.name!r}: use one of {', '.join(loaders)}") from None
    try:
        return loader(cfg, device)
    except (MemoryError, RuntimeError) as exc:
        # Every image is held in memory at once, so asking for too many ends in
        # an allocation failure: the user's to fix by asking for fewer.
        if not isinstance(exc, MemoryError) and not _is_allocation_failure(exc):
            raise
        raise DataError(
            f"dataset.n_train/n_test: not enough memory for {_asked(cfg)} {_TITLES[cfg.name]} images on {device} "
            f"({_one_line(exc) if str(exc) else type(exc).__name__}): lower dataset.n_train and dataset.n_test"
        ) from None


def _is_allocation_failure(exc: RuntimeError) -> bool:
    text = str(exc).lower()
    return isinstance(exc, getattr(torch, "OutOfMemoryError", ())) or any(
        s in text for s in ("can't allocate memory", "out of memory", "not enough memory"))


def _asked(cfg: "DatasetConfig") -> str:
    return f"{cfg.n_train if cfg.n_train is not None else 'all'} train + {cfg.n_test if cfg.n_test is not None else 'all'} test"


def _physical_memory() -> int | None:
    """Bytes of RAM on this machine, None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


# --- shared helpers ----------------------------------------------------------------

def _check_classes(cfg: "DatasetConfig", names: Sequence[str], where: str) -> list[int]:
    """The resolved class indices, each checked against the dataset's classes."""
    classes = cfg.resolved_classes()
    if classes == "all":
        return list(range(len(names)))
    for c in classes:
        if not 0 <= c < len(names):
            listing = ", ".join(f"{i} {n}" for i, n in enumerate(names))
            if len(listing) > 160:
                listing = listing[:157] + "..."
            raise DataError(
                f"dataset.classes: {c} is out of range for {where}, which has {len(names)} classes "
                f"(0-{len(names) - 1}: {listing}); pick indices from that list"
            )
    if len(set(classes)) != len(classes) or len(classes) < 2:
        raise DataError(f"dataset.classes: {classes} must list at least two distinct classes of {where}")
    return list(classes)


def _check_root_dir(root: Path, title: str, must_exist: bool) -> None:
    """A root that is a file, or a directory that cannot be read, is a DataError."""
    if root.exists() and not root.is_dir():
        raise DataError(f"dataset.root {str(root)!r} is a file, not a directory: point dataset.root at the folder that holds {title}")
    if root.is_dir() and not os.access(root, os.R_OK | os.X_OK):
        raise DataError(f"dataset.root {str(root)!r} cannot be read (permission denied): fix its permissions or choose another dataset.root")
    if must_exist and not root.exists():
        raise DataError(f"dataset.root {str(root)!r} does not exist: create it or point dataset.root at the folder that holds {title}")


def _first_of_classes(labels: torch.Tensor, classes: list[int], n: int | None) -> torch.Tensor:
    """Indices of the first `n` items (all when None) whose label is in `classes`."""
    keep = torch.isin(labels, torch.tensor(classes, dtype=labels.dtype))
    idx = torch.nonzero(keep, as_tuple=False).flatten()
    return idx if n is None else idx[:n]


def _remap(labels: torch.Tensor, classes: list[int], binary: bool) -> torch.Tensor:
    """Original class indices → ±1 (binary) or 0..K−1 in the listed order."""
    labels = labels.long()
    if binary:
        return torch.where(labels == classes[0], -1.0, 1.0).to(torch.float32)
    table = torch.full((int(max(classes)) + 1,), -1, dtype=torch.int64)
    table[torch.tensor(classes)] = torch.arange(len(classes))
    return table[labels]


def _normalise(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(x − mean) / std per channel, in place on a contiguous NCHW tensor (a strided
    one, as HWC data permuted, is several times slower for CIFAR-size data)."""
    x = x.contiguous()
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return x.sub_(m).div_(s)


def _channel_stats(x: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean/std of a [N, C, H, W] tensor (std 1 for a constant channel)."""
    flat = x.transpose(0, 1).reshape(x.shape[1], -1).double()
    mean = flat.mean(dim=1)
    std = flat.std(dim=1, unbiased=False) if flat.shape[1] > 1 else torch.ones_like(mean)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    return mean.tolist(), std.tolist()


def _uint8_to_float(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 [N, C, H, W] → float32 in [0, 1] on `device` (moved while still small)."""
    return x.to(device).contiguous().to(torch.float32).div_(255.0)


def image_memory_format(device: torch.device | str) -> torch.memory_format:
    """How images (and the model's weights) are laid out in memory on `device`.

    channels_last on CPU and CUDA: measured for the three CNNs of SPEC §4 on a
    2-core CPU (torch 2.14, bench/cpu_layouts.py), a training pass takes 0.65-0.9×
    the time of NCHW and an evaluation pass 0.36-0.96× (the paper's CNN: about
    0.7× and 0.4×); cuDNN's fastest convolutions are NHWC too. Elsewhere (MPS)
    NCHW, which is unmeasured."""
    return torch.channels_last if torch.device(device).type in ("cpu", "cuda") else torch.contiguous_format


def _count(n: int, asked: int | None, split: str) -> str:
    if asked is not None and n < asked:
        return f"{n} {split} (all there are; {asked} asked)"
    return f"{n} {split}"


def _bundle(
    title: str,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    names: list[str],
    binary: bool,
    cfg: "DatasetConfig",
) -> DataBundle:
    _, c, h, w = x_train.shape
    if binary:
        what = f"{names[0]} (-1) vs {names[1]} (+1)"
    else:
        what = f"{len(names)} classes ({', '.join(names)})"
    description = (
        f"{title} {what}: {_count(x_train.shape[0], cfg.n_train, 'train')} / "
        f"{_count(x_test.shape[0], cfg.n_test, 'test')}, {c}x{h}x{w}"
    )
    layout = image_memory_format(x_train.device)
    return DataBundle(
        x_train=x_train.contiguous(memory_format=layout),
        y_train=y_train.to(x_train.device),
        x_test=x_test.contiguous(memory_format=layout),
        y_test=y_test.to(x_test.device),
        binary=binary,
        n_outputs=1 if binary else len(names),
        in_channels=int(c),
        image_size=int(h),
        class_names=list(names),
        description=description,
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 200 else text[:197] + "..."


# --- shapes --------------------------------------------------------------------------

def _stream(seed: int, split: str) -> torch.Generator:
    """An independent generator per (seed, split): train and test never coincide."""
    digest = hashlib.sha256(f"sweepdeck-shapes/{seed}/{split}".encode()).digest()
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF)
    return gen


# Area of each shape equals a circle of radius r, so pixel counts say nothing:
# square half-side, triangle inradius, cross arm half-length, as multiples of r,
# and how far each reaches from its centre at worst (for keeping it on the canvas).
_SQUARE_K = math.sqrt(math.pi) / 2
_TRIANGLE_K = math.sqrt(math.pi / (3 * math.sqrt(3)))
_CROSS_W = 0.3  # arm half-width / arm half-length
_CROSS_K = math.sqrt(math.pi / (8 * _CROSS_W - 4 * _CROSS_W**2))
_REACH = torch.tensor([1.0, _SQUARE_K * math.sqrt(2), 2 * _TRIANGLE_K, _CROSS_K * math.hypot(1, _CROSS_W)])
_TRI_NORMALS = torch.tensor([[math.cos(a), math.sin(a)] for a in (math.pi / 2 + k * 2 * math.pi / 3 for k in range(3))])


def _shape_distance(label: int, qx: torch.Tensor, qy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Signed distance (pixels, <0 inside) to shape `label` of scale r, in local coordinates."""
    r = r.view(-1, 1, 1)
    if label == 0:  # circle
        return torch.sqrt(qx * qx + qy * qy) - r
    if label == 1:  # square
        return torch.maximum(qx.abs(), qy.abs()) - _SQUARE_K * r
    if label == 2:  # equilateral triangle: the farthest of three edge half-planes
        n = _TRI_NORMALS
        d = torch.maximum(torch.maximum(n[0, 0] * qx + n[0, 1] * qy, n[1, 0] * qx + n[1, 1] * qy), n[2, 0] * qx + n[2, 1] * qy)
        return d - _TRIANGLE_K * r
    # cross: union of two bars
    arm, half = _CROSS_K * r, _CROSS_K * _CROSS_W * r
    ax, ay = qx.abs(), qy.abs()
    return torch.minimum(torch.maximum(ax - arm, ay - half), torch.maximum(ax - half, ay - arm))


def make_shapes(n: int, classes: Sequence[int], seed: int, split: str = "train", *, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` shape images, float32 [n, 3, 32, 32] in [0, 1] (not normalised), and their
    original class indices (int64, balanced over `classes`, in random order).

    Each image: a dark background of random tint, one bright shape of random colour,
    size (area of a circle of radius 6-10 px, equal for every class so pixel counts
    say nothing), position and rotation (±15°), anti-aliased edges, Gaussian pixel
    noise (σ = 0.1).

    Tuned so the paper's small CNN learns circle vs square to >90% test accuracy in
    4 epochs on 2000 images: random background colours, or squares at any angle,
    made it need many more epochs (the network must first learn to ignore the
    background's colour, or to find corners at every angle)."""
    gen = _stream(seed, split)
    size = SHAPES_SIZE
    k = len(classes)
    labels = torch.tensor(list(classes), dtype=torch.int64)[torch.arange(n) % k]
    labels = labels[torch.randperm(n, generator=gen)]
    u = torch.rand(n, 10, generator=gen)
    r = 6.0 + 4.0 * u[:, 0]  # radius of the equal-area circle, pixels
    theta = math.radians(15.0) * (2 * u[:, 1] - 1)
    reach = torch.clamp(_REACH[labels] * r, max=size / 2)
    cx = size / 2 + (2 * u[:, 2] - 1) * (size / 2 - reach)
    cy = size / 2 + (2 * u[:, 3] - 1) * (size / 2 - reach)
    bg = 0.15 + 0.15 * u[:, 4:7]  # dark, tinted
    fg = 0.55 + 0.45 * u[:, 7:10]  # bright, any hue

    x = torch.empty(n, 3, size, size)
    grid = torch.arange(size, dtype=torch.float32) + 0.5
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        m = sl.stop - sl.start
        px = grid.view(1, 1, size) - cx[sl].view(-1, 1, 1)
        py = grid.view(1, size, 1) - cy[sl].view(-1, 1, 1)
        cos, sin = torch.cos(theta[sl]).view(-1, 1, 1), torch.sin(theta[sl]).view(-1, 1, 1)
        qx, qy = cos * px + sin * py, cos * py - sin * px  # rotate into the shape's frame
        dist = torch.empty(m, size, size)
        lab = labels[sl]
        for c in classes:
            sel = lab == c
            if sel.any():
                dist[sel] = _shape_distance(int(c), qx[sel], qy[sel], r[sl][sel])
        alpha = (0.5 - dist).clamp_(0.0, 1.0).unsqueeze(1)  # anti-aliased coverage
        img = bg[sl].view(-1, 3, 1, 1) * (1 - alpha) + fg[sl].view(-1, 3, 1, 1) * alpha
        img += 0.1 * torch.randn(m, 3, size, size, generator=gen)
        x[sl] = img.clamp_(0.0, 1.0)
    return x, labels


def _load_shapes(cfg: "DatasetConfig", device: torch.device) -> DataBundle:
    classes = _check_classes(cfg, SHAPES_CLASSES, "shapes")
    binary = len(classes) == 2
    n_train = cfg.n_train if cfg.n_train is not None else SHAPES_PER_CLASS["train"] * len(classes)
    n_test = cfg.n_test if cfg.n_test is not None else SHAPES_PER_CLASS["test"] * len(classes)
    # shapes makes as many images as asked: refuse up front what cannot fit,
    # since under overcommit the OOM killer, not an exception, would end the run.
    need, total = (n_train + n_test) * 3 * SHAPES_SIZE * SHAPES_SIZE * 4, _physical_memory()
    if total is not None and need > total * 3 // 4:
        raise DataError(
            f"dataset.n_train/n_test: {n_train} + {n_test} shapes images need about {need / 2**30:.1f} GiB of memory, "
            f"more than this machine's {total / 2**30:.1f} GiB allows: lower dataset.n_train and dataset.n_test"
        )
    x_tr, l_tr = make_shapes(n_train, classes, cfg.seed, "train")
    x_te, l_te = make_shapes(n_test, classes, cfg.seed, "test")
    mean, std = _channel_stats(x_tr)
    x_tr = _normalise(x_tr.to(device), mean, std)
    x_te = _normalise(x_te.to(device), mean, std)
    names = [SHAPES_CLASSES[c] for c in classes]
    return _bundle(f"shapes (seed {cfg.seed})", x_tr, _remap(l_tr, classes, binary), x_te, _remap(l_te, classes, binary), names, binary, cfg)


# --- torchvision datasets ----------------------------------------------------------------

def _subset(images: torch.Tensor, targets: torch.Tensor, classes: list[int], n: int | None, binary: bool) -> tuple[torch.Tensor, torch.Tensor]:
    idx = _first_of_classes(targets, classes, n)
    return images[idx], _remap(targets[idx], classes, binary)


def _open_torchvision(make, title: str, folder: Path, expected: list[Path], download: bool, copy_hint: str):
    """Build a torchvision dataset, turning every failure into one DataError line."""
    if not download and not all(p.is_file() for p in expected):
        missing = [p.name for p in expected if not p.is_file()]
        which = "" if len(missing) == len(expected) else f" (missing {', '.join(missing)})"
        raise DataError(f"{title} not found in {folder}{which}: download it with {_DOWNLOAD_HINT} or {copy_hint}")
    try:
        return make()
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError, pickle errors...
        if download and not all(p.is_file() for p in expected):
            raise DataError(
                f"{title} download into {folder} failed ({_one_line(exc)}): check the internet connection, "
                f"or {copy_hint} and set \"dataset.download\": false"
            ) from None
        raise DataError(
            f"{title} files in {folder} cannot be read ({_one_line(exc)}): they are corrupted or not the official "
            f"release; delete them and download again with {_DOWNLOAD_HINT}, or {copy_hint}"
        ) from None


def _load_cifar10(cfg: "DatasetConfig", device: torch.device) -> DataBundle:
    title = "CIFAR-10"
    classes = _check_classes(cfg, CIFAR10_CLASSES, title)
    binary = len(classes) == 2
    root = Path(cfg.root).expanduser()
    _check_root_dir(root, title, must_exist=False)

    from torchvision.datasets import CIFAR10

    folder = root / CIFAR10.base_folder
    expected = [folder / f for f, _ in CIFAR10.train_list + CIFAR10.test_list] + [folder / CIFAR10.meta["filename"]]
    hint = f"copy the python-version batches (data_batch_1..5, test_batch, batches.meta) into {folder}"
    parts = []
    for train in (True, False):
        ds = _open_torchvision(
            lambda train=train: CIFAR10(str(root), train=train, download=cfg.download),
            title, folder, expected, cfg.download, hint,
        )
        images = torch.from_numpy(ds.data).permute(0, 3, 1, 2)  # uint8 [N, 32, 32, 3] → [N, 3, 32, 32]
        targets = torch.as_tensor(ds.targets, dtype=torch.int64)
        names = list(ds.classes) if len(ds.classes) == 10 else CIFAR10_CLASSES
        x, y = _subset(images, targets, classes, cfg.n_train if train else cfg.n_test, binary)
        parts += [_normalise(_uint8_to_float(x, device), CIFAR10_MEAN, CIFAR10_STD), y]
    _check_nonempty(parts, title, folder)
    return _bundle(title, *parts, [names[c] for c in classes], binary, cfg)


def _load_mnist(cfg: "DatasetConfig", device: torch.device) -> DataBundle:
    fashion = cfg.name == "fashion_mnist"
    title = "Fashion-MNIST" if fashion else "MNIST"
    names_all = FASHION_CLASSES if fashion else MNIST_CLASSES
    mean, std = (FASHION_MEAN, FASHION_STD) if fashion else (MNIST_MEAN, MNIST_STD)
    classes = _check_classes(cfg, names_all, title)
    binary = len(classes) == 2
    root = Path(cfg.root).expanduser()
    _check_root_dir(root, title, must_exist=False)

    from torchvision.datasets import MNIST, FashionMNIST

    cls = FashionMNIST if fashion else MNIST
    folder = root / cls.__name__ / "raw"
    expected = [folder / os.path.splitext(os.path.basename(url))[0] for url, _ in cls.resources]
    legacy = root / cls.__name__ / "processed"
    if (legacy / cls.training_file).is_file() and (legacy / cls.test_file).is_file():
        expected = [legacy / cls.training_file, legacy / cls.test_file]  # torchvision's old cache
    hint = f"copy the four uncompressed *-ubyte files into {folder}"
    parts = []
    for train in (True, False):
        ds = _open_torchvision(
            lambda train=train: cls(str(root), train=train, download=cfg.download),
            title, folder, expected, cfg.download, hint,
        )
        images = torch.as_tensor(ds.data).unsqueeze(1)  # uint8 [N, 28, 28] → [N, 1, 28, 28]
        targets = torch.as_tensor(ds.targets, dtype=torch.int64)
        x, y = _subset(images, targets, classes, cfg.n_train if train else cfg.n_test, binary)
        parts += [_normalise(_uint8_to_float(x, device), mean, std), y]
    _check_nonempty(parts, title, folder)
    return _bundle(title, *parts, [names_all[c] for c in classes], binary, cfg)


def _check_nonempty(parts: list[torch.Tensor], title: str, where: Path | str) -> None:
    for x, split in ((parts[0], "training"), (parts[2], "test")):
        if x.shape[0] == 0:
            raise DataError(f"{title} in {where} has no {split} images of the chosen dataset.classes: check dataset.classes and the files there")


# --- imagefolder -----------------------------------------------------------------------------

def _class_dirs(folder: Path) -> list[Path]:
    try:
        return sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    except OSError as exc:
        raise DataError(f"dataset.root: cannot list {folder} ({_one_line(exc)}): fix its permissions or choose another dataset.root") from None


def _image_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    try:
        return sorted(
            (p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file() and not p.name.startswith(".")),
            key=lambda p: str(p.relative_to(folder)),
        )
    except OSError as exc:
        raise DataError(f"dataset.root: cannot list {folder} ({_one_line(exc)}): fix its permissions or choose another dataset.root") from None


def _round_robin(per_class: list[list[Path]], classes: list[int], n: int | None) -> list[tuple[Path, int]]:
    """The first `n` (file, class) pairs, taking one file of each class in turn."""
    out: list[tuple[Path, int]] = []
    longest = max((len(per_class[c]) for c in classes), default=0)
    for i in range(longest):
        for c in classes:
            if i < len(per_class[c]):
                out.append((per_class[c][i], c))
                if n is not None and len(out) >= n:
                    return out
    return out


def _read_images(items: list[tuple[Path, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    import numpy as np
    from PIL import Image

    size = IMAGEFOLDER_SIZE
    arr = np.empty((len(items), size, size, 3), dtype=np.uint8)
    for i, (path, _) in enumerate(items):
        try:
            with Image.open(path) as im:
                arr[i] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
        except Exception as exc:
            raise DataError(f"imagefolder: cannot read image {path} ({_one_line(exc)}): delete or replace that file") from None
    labels = torch.tensor([c for _, c in items], dtype=torch.int64)
    return torch.from_numpy(arr).permute(0, 3, 1, 2), labels


def _load_imagefolder(cfg: "DatasetConfig", device: torch.device) -> DataBundle:
    root = Path(cfg.root).expanduser()
    layout = "root/<class>/*.png (or root/train/<class>/ and root/test/<class>/)"
    _check_root_dir(root, f"one folder of images per class: {layout}", must_exist=True)
    train_dir, test_dir = root, None
    if (root / "train").is_dir():
        train_dir = root / "train"
        test_dir = root / "test" if (root / "test").is_dir() else None
    class_dirs = _class_dirs(train_dir)
    if not class_dirs:
        raise DataError(f"imagefolder: no class folders in {train_dir}: put the images in {layout}")
    names = [p.name for p in class_dirs]
    where = f"imagefolder {train_dir}"
    classes = _check_classes(cfg, names, where)
    if len(classes) < 2 and cfg.resolved_classes() == "all":
        raise DataError(f"imagefolder: only one class folder ({names[0]}) in {train_dir}: a classifier needs at least two; add a folder per class")
    binary = len(classes) == 2

    train_files = [_image_files(p) for p in class_dirs]
    if test_dir is not None:
        test_names = [p.name for p in _class_dirs(test_dir)]
        if test_names and test_names != names:
            raise DataError(
                f"imagefolder: class folders of {test_dir} ({', '.join(test_names)}) differ from {train_dir} "
                f"({', '.join(names)}): give both splits the same class folders"
            )
        test_files = [_image_files(test_dir / n) for n in names]
    else:
        test_files = []
        for i, files in enumerate(train_files):
            hold = max(1, round(HOLDOUT_FRACTION * len(files))) if len(files) >= 2 else 0
            test_files.append(files[len(files) - hold:])
            train_files[i] = files[: len(files) - hold]
    for c in classes:
        if not train_files[c]:
            raise DataError(
                f"imagefolder: class folder {train_dir / names[c]} holds no images ({', '.join(IMAGE_EXTENSIONS[:3])}...): "
                "add images or leave the class out of dataset.classes"
            )

    xs, ys = [], []
    for files, n in ((train_files, cfg.n_train), (test_files, cfg.n_test)):
        items = _round_robin(files, classes, n)
        if not items:
            raise DataError(f"imagefolder: no test images for the chosen classes in {test_dir or train_dir}: add images (a class needs 2 for the 20% hold-out)")
        images, labels = _read_images(items)
        xs.append(_uint8_to_float(images, device))
        ys.append(_remap(labels, classes, binary))
    mean, std = _channel_stats(xs[0])
    x_tr, x_te = (_normalise(x, mean, std) for x in xs)
    return _bundle(f"imagefolder {root}", x_tr, ys[0], x_te, ys[1], [names[c] for c in classes], binary, cfg)
