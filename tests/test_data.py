"""engine/data.py: every dataset as whole normalised tensors, and its one-line errors.

CIFAR-10, MNIST and the image folders are tiny datasets that these tests write in
the exact on-disk formats torchvision and users produce; nothing is downloaded.
"""

from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

import sweepdeck.engine.data as data_mod
from sweepdeck.engine.config import DatasetConfig
from sweepdeck.engine.data import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    FASHION_MEAN,
    FASHION_STD,
    MNIST_MEAN,
    MNIST_STD,
    DataBundle,
    DataError,
    load_dataset,
    make_shapes,
)


def cfg(**kw) -> DatasetConfig:
    return DatasetConfig(**kw)


def data_error(config: DatasetConfig) -> str:
    with pytest.raises(DataError) as info:
        load_dataset(config)
    message = str(info.value)
    assert "\n" not in message, "a DataError is one line"
    return message


# --- shapes ----------------------------------------------------------------------------

def test_shapes_bundle_shapes_dtypes_and_labels():
    b = load_dataset(cfg(name="shapes", n_train=400, n_test=100), "cpu")
    assert isinstance(b, DataBundle)
    assert b.x_train.shape == (400, 3, 32, 32) and b.x_test.shape == (100, 3, 32, 32)
    assert b.x_train.dtype == torch.float32 and b.y_train.dtype == torch.float32
    assert b.y_train.shape == (400,) and b.y_test.shape == (100,)
    assert set(b.y_train.unique().tolist()) == {-1.0, 1.0}
    assert b.y_train.sum().item() == 0 and b.y_test.sum().item() == 0  # exactly balanced
    assert (b.binary, b.n_outputs, b.in_channels, b.image_size) == (True, 1, 3, 32)
    assert b.class_names == ["circle", "square"]
    assert b.description == "shapes (seed 0) circle (-1) vs square (+1): 400 train / 100 test, 3x32x32"
    # held in the layout the trainer's convolutions are fastest in (sweepdeck.engine.data.image_memory_format)
    assert b.x_train.device.type == "cpu" and b.x_train.is_contiguous(memory_format=torch.channels_last)


def test_shapes_normalised_per_channel_on_the_training_split():
    b = load_dataset(cfg(name="shapes", n_train=500, n_test=200))
    mean = b.x_train.mean(dim=(0, 2, 3))
    std = b.x_train.std(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.zeros(3), atol=1e-4)
    assert torch.allclose(std, torch.ones(3), atol=1e-2)
    # the test split uses the training statistics: close to, but not exactly, 0/1
    assert torch.allclose(b.x_test.mean(dim=(0, 2, 3)), torch.zeros(3), atol=0.1)


def test_shapes_deterministic_per_seed_and_different_across_seeds():
    a = load_dataset(cfg(name="shapes", n_train=64, n_test=32, seed=3))
    again = load_dataset(cfg(name="shapes", n_train=64, n_test=32, seed=3))
    other = load_dataset(cfg(name="shapes", n_train=64, n_test=32, seed=4))
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, name), getattr(again, name)), name
    assert not torch.equal(a.x_train, other.x_train)
    assert not torch.equal(a.x_test, other.x_test)


def test_shapes_train_and_test_come_from_independent_streams():
    x_tr, _ = make_shapes(50, [0, 1], seed=0, split="train")
    x_te, _ = make_shapes(50, [0, 1], seed=0, split="test")
    # no test image equals any training image
    dist = torch.cdist(x_te.flatten(1), x_tr.flatten(1))
    assert dist.min().item() > 1.0
    # negative and huge seeds are fine too
    make_shapes(4, [0, 1], seed=-7)
    make_shapes(4, [0, 1], seed=2**70)


def test_shapes_raw_images_in_unit_range_and_classes_differ():
    x, labels = make_shapes(200, [0, 1, 2, 3], seed=1)
    assert x.shape == (200, 3, 32, 32) and x.min() >= 0 and x.max() <= 1
    assert torch.bincount(labels, minlength=4).tolist() == [50, 50, 50, 50]
    # the class mean images are different (it is not four copies of one class)
    means = torch.stack([x[labels == c].mean(0) for c in range(4)])
    assert torch.cdist(means.flatten(1), means.flatten(1)).fill_diagonal_(9).min() > 0.3
    # not one image repeated
    assert torch.unique(x.flatten(1), dim=0).shape[0] == 200


def test_shapes_class_is_not_given_away_by_colour_or_brightness():
    # Every shape covers the same area and colours are drawn the same way for every
    # class: a linear classifier on per-image colour statistics stays near chance.
    def stats(x):
        return torch.cat([x.mean((2, 3)), x.std((2, 3)), (x > 0.5).float().mean((1, 2, 3)).unsqueeze(1)], 1)

    x, labels = make_shapes(2000, [0, 1], seed=0)
    xt, labels_t = make_shapes(1000, [0, 1], seed=0, split="test")
    a, b = stats(x), stats(xt)
    mu, sd = a.mean(0), a.std(0) + 1e-6
    a, b = (a - mu) / sd, (b - mu) / sd
    w = torch.zeros(a.shape[1], requires_grad=True)
    c = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, c], max_iter=100)
    y = labels.float()

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(a @ w + c, y)
        loss.backward()
        return loss

    opt.step(closure)
    accuracy = ((b @ w + c > 0).long() == labels_t).float().mean().item()
    assert accuracy < 0.6


def test_shapes_generation_is_vectorised_enough():
    # not a timing assertion: 12k images in one call must simply not crawl
    x, labels = make_shapes(12_000, [0, 1, 2, 3], seed=0)
    assert x.shape[0] == labels.shape[0] == 12_000


def test_shapes_multiclass_and_listed_order():
    b = load_dataset(cfg(name="shapes", classes="all", n_train=80, n_test=40))
    assert not b.binary and b.n_outputs == 4
    assert b.class_names == ["circle", "square", "triangle", "cross"]
    assert b.y_train.dtype == torch.int64 and sorted(b.y_train.unique().tolist()) == [0, 1, 2, 3]
    assert "4 classes" in b.description

    swapped = load_dataset(cfg(name="shapes", classes=[1, 0], n_train=8, n_test=8))
    assert swapped.class_names == ["square", "circle"]  # first listed → −1

    three = load_dataset(cfg(name="shapes", classes=[3, 0, 2], n_train=30, n_test=9))
    assert three.class_names == ["cross", "circle", "triangle"] and three.n_outputs == 3
    assert sorted(three.y_train.unique().tolist()) == [0, 1, 2]


def test_shapes_default_sizes_and_bad_class():
    b = load_dataset(cfg(name="shapes", n_train=None, n_test=None))
    assert (b.x_train.shape[0], b.x_test.shape[0]) == (10_000, 2_000)
    message = data_error(cfg(name="shapes", classes=[0, 7]))
    assert "7" in message and "shapes" in message and "circle" in message


# --- CIFAR-10, written in torchvision's on-disk format ---------------------------------------

CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
# labels of the training images in file order (5 batches × 6) and of the test batch
TRAIN_LABELS = [3, 0, 4, 4, 1, 3, 9, 3, 4, 2, 4, 3, 5, 3, 4, 6, 7, 4, 3, 8, 3, 4, 0, 4, 3, 3, 4, 1, 2, 4]
TEST_LABELS = [4, 3, 3, 0, 4, 5, 3, 4]


def cifar_image(index: int) -> np.ndarray:
    """Image number `index` as CHW uint8: red = index, green = 100, blue = 200,
    with one marked pixel (blue at row 0, column 1 = 7) to catch a wrong transpose."""
    img = np.empty((3, 32, 32), dtype=np.uint8)
    img[0], img[1], img[2] = index, 100, 200
    img[2, 0, 1] = 7
    return img


def write_cifar(root: Path) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for b in range(5):
        ids = range(b * 6, b * 6 + 6)
        entry = {
            "batch_label": f"training batch {b + 1} of 5",
            "labels": [TRAIN_LABELS[i] for i in ids],
            "data": np.stack([cifar_image(i).reshape(-1) for i in ids]),
            "filenames": [f"img_{i}.png" for i in ids],
        }
        (folder / f"data_batch_{b + 1}").write_bytes(pickle.dumps(entry, protocol=2))
    test = {
        "batch_label": "testing batch 1 of 1",
        "labels": TEST_LABELS,
        "data": np.stack([cifar_image(100 + i).reshape(-1) for i in range(len(TEST_LABELS))]),
    }
    (folder / "test_batch").write_bytes(pickle.dumps(test, protocol=2))
    meta = {"label_names": CIFAR_NAMES, "num_cases_per_batch": 6, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


@pytest.fixture
def cifar_root(tmp_path, monkeypatch) -> Path:
    """A tiny CIFAR-10; torchvision's md5 check accepts any existing file."""
    import torchvision.datasets.cifar as tv_cifar

    monkeypatch.setattr(tv_cifar, "check_integrity", lambda fpath, md5=None: os.path.isfile(fpath))
    write_cifar(tmp_path)
    return tmp_path


def red_values(x: torch.Tensor) -> list[int]:
    """Undo the normalisation of the red channel: the image numbers."""
    raw = x[:, 0, 5, 5] * CIFAR10_STD[0] + CIFAR10_MEAN[0]
    return [round(v) for v in (raw * 255).tolist()]


def test_cifar10_pair_mapping_and_first_n_in_file_order(cifar_root):
    b = load_dataset(cfg(name="cifar10", root=str(cifar_root), n_train=7, n_test=3))
    cat_deer = [i for i, c in enumerate(TRAIN_LABELS) if c in (3, 4)]
    assert red_values(b.x_train) == cat_deer[:7]  # the first 7 of those classes, across batches
    expected = [-1.0 if TRAIN_LABELS[i] == 3 else 1.0 for i in cat_deer[:7]]
    assert b.y_train.tolist() == expected  # cat → −1, deer → +1 (SPEC §3)
    test_ids = [i for i, c in enumerate(TEST_LABELS) if c in (3, 4)][:3]
    assert red_values(b.x_test) == [100 + i for i in test_ids]
    assert b.y_test.tolist() == [1.0, -1.0, -1.0]
    assert b.class_names == ["cat", "deer"] and b.binary and b.n_outputs == 1
    assert b.description == "CIFAR-10 cat (-1) vs deer (+1): 7 train / 3 test, 3x32x32"


def test_cifar10_normalisation_and_channel_layout(cifar_root):
    b = load_dataset(cfg(name="cifar10", root=str(cifar_root), n_train=2, n_test=1))
    assert b.x_train.shape == (2, 3, 32, 32) and b.x_train.dtype == torch.float32
    cl = torch.channels_last  # dense in the trainer's layout, whatever the file's order was
    assert b.x_train.is_contiguous(memory_format=cl) and b.x_test.is_contiguous(memory_format=cl)
    green = (100 / 255 - 0.4822) / 0.2435
    blue = (200 / 255 - 0.4465) / 0.2616
    marked = (7 / 255 - 0.4465) / 0.2616
    assert b.x_train[0, 1, 17, 3].item() == pytest.approx(green, abs=1e-5)
    assert b.x_train[0, 2, 9, 9].item() == pytest.approx(blue, abs=1e-5)
    assert b.x_train[0, 2, 0, 1].item() == pytest.approx(marked, abs=1e-5)  # row 0, column 1
    assert b.x_train[0, 2, 1, 0].item() == pytest.approx(blue, abs=1e-5)
    assert b.x_train[0, 0, 0, 0].item() == pytest.approx((0 - 0.4914) / 0.2470, abs=1e-5)  # image 0


def test_cifar10_any_pair_multiclass_and_all(cifar_root):
    swapped = load_dataset(cfg(name="cifar10", root=str(cifar_root), classes=[4, 3], n_train=None, n_test=None))
    assert swapped.class_names == ["deer", "cat"]
    n_cat_deer = sum(c in (3, 4) for c in TRAIN_LABELS)
    assert swapped.y_train.shape[0] == n_cat_deer
    assert swapped.y_train.tolist() == [-1.0 if TRAIN_LABELS[i] == 4 else 1.0 for i, c in enumerate(TRAIN_LABELS) if c in (3, 4)]

    multi = load_dataset(cfg(name="cifar10", root=str(cifar_root), classes=[4, 3, 9], n_train=None, n_test=None))
    assert not multi.binary and multi.n_outputs == 3 and multi.y_train.dtype == torch.int64
    assert multi.class_names == ["deer", "cat", "truck"]
    remap = {4: 0, 3: 1, 9: 2}
    assert multi.y_train.tolist() == [remap[c] for c in TRAIN_LABELS if c in remap]
    assert "3 classes (deer, cat, truck)" in multi.description

    everything = load_dataset(cfg(name="cifar10", root=str(cifar_root), classes="all", n_train=None, n_test=None))
    assert everything.n_outputs == 10 and everything.class_names == CIFAR_NAMES
    assert everything.y_train.tolist() == TRAIN_LABELS and everything.y_test.tolist() == TEST_LABELS


def test_cifar10_asking_for_more_than_there_is_gives_all_and_says_so(cifar_root):
    b = load_dataset(cfg(name="cifar10", root=str(cifar_root)))  # defaults: 10000 / 2000
    n_test = sum(c in (3, 4) for c in TEST_LABELS)
    assert b.x_test.shape[0] == n_test
    assert f"{n_test} test (all there are; 2000 asked)" in b.description


def test_cifar10_missing_files_say_where_and_how(tmp_path):
    root = tmp_path / "data"
    message = data_error(cfg(name="cifar10", root=str(root)))
    assert message.startswith("CIFAR-10 not found in")
    assert str(root / "cifar-10-batches-py") in message
    assert '"dataset.download": true' in message and "copy" in message
    # some files there: it names the missing ones
    folder = write_cifar(tmp_path / "partial")
    (folder / "test_batch").unlink()
    message = data_error(cfg(name="cifar10", root=str(tmp_path / "partial")))
    assert "(missing test_batch)" in message


def test_cifar10_failed_download_is_a_data_error(tmp_path, monkeypatch):
    from urllib.error import URLError

    from torchvision.datasets import CIFAR10

    def offline(self):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(CIFAR10, "download", offline)
    message = data_error(cfg(name="cifar10", root=str(tmp_path), download=True))
    assert "download" in message and "failed" in message and "name resolution" in message
    assert str(tmp_path / "cifar-10-batches-py") in message


def test_cifar10_files_that_fail_torchvisions_checksum(tmp_path):
    write_cifar(tmp_path)  # not the official files: md5 differs, no patch here
    message = data_error(cfg(name="cifar10", root=str(tmp_path)))
    assert "cannot be read" in message and "corrupted" in message and str(tmp_path) in message


def test_cifar10_root_is_a_file_and_class_out_of_range(tmp_path):
    f = tmp_path / "cifar.tar.gz"
    f.write_bytes(b"not a folder")
    message = data_error(cfg(name="cifar10", root=str(f)))
    assert str(f) in message and "is a file" in message

    message = data_error(cfg(name="cifar10", root=str(tmp_path), classes=[3, 12]))
    assert "12" in message and "out of range" in message and "CIFAR-10" in message


# --- MNIST / Fashion-MNIST, in torchvision's raw ubyte format ---------------------------------

MNIST_TRAIN = [3, 5, 1, 5, 3, 3, 7, 5, 0, 6]
MNIST_TEST = [5, 3, 6, 0, 3]


def write_idx(folder: Path, split: str, labels: list[int], offset: int) -> None:
    n = len(labels)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for i in range(n):
        images[i] = offset + i
        images[i, 0, 27] = 255  # marked pixel: row 0, last column
    (folder / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x0803, n, 28, 28) + images.tobytes())
    (folder / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x0801, n) + bytes(labels))


def write_mnist(root: Path, name: str = "MNIST") -> Path:
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    write_idx(raw, "train", MNIST_TRAIN, 0)
    write_idx(raw, "t10k", MNIST_TEST, 100)
    return raw


def test_mnist_pair_one_channel_28px(tmp_path):
    write_mnist(tmp_path)
    b = load_dataset(cfg(name="mnist", root=str(tmp_path), n_train=4, n_test=None))  # default pair 3 vs 5
    assert b.x_train.shape == (4, 1, 28, 28) and (b.in_channels, b.image_size) == (1, 28)
    ids = [i for i, c in enumerate(MNIST_TRAIN) if c in (3, 5)][:4]
    raw = b.x_train[:, 0, 5, 5] * MNIST_STD[0] + MNIST_MEAN[0]
    assert [round(v) for v in (raw * 255).tolist()] == ids
    assert b.y_train.tolist() == [-1.0 if MNIST_TRAIN[i] == 3 else 1.0 for i in ids]
    assert b.x_train[0, 0, 0, 27].item() == pytest.approx((1 - 0.1307) / 0.3081, abs=1e-5)
    assert b.y_test.tolist() == [1.0, -1.0, -1.0]
    assert b.class_names == ["3", "5"]
    assert b.description.startswith("MNIST 3 (-1) vs 5 (+1): 4 train / 3 test, 1x28x28")


def test_mnist_all_classes(tmp_path):
    write_mnist(tmp_path)
    b = load_dataset(cfg(name="mnist", root=str(tmp_path), classes="all", n_train=None, n_test=None))
    assert b.n_outputs == 10 and b.y_train.dtype == torch.int64
    assert b.y_train.tolist() == MNIST_TRAIN and b.y_test.tolist() == MNIST_TEST


def test_fashion_mnist_own_folder_names_and_normalisation(tmp_path):
    write_mnist(tmp_path, "FashionMNIST")
    b = load_dataset(cfg(name="fashion_mnist", root=str(tmp_path), n_train=None, n_test=None))  # default 0 vs 6
    assert b.class_names == ["T-shirt/top", "Shirt"]
    assert b.y_train.tolist() == [-1.0, 1.0]  # train labels 0 (index 8) then 6 (index 9)
    assert b.x_train[0, 0, 0, 27].item() == pytest.approx((1 - FASHION_MEAN[0]) / FASHION_STD[0], abs=1e-5)
    assert b.x_train[0, 0, 3, 3].item() == pytest.approx((8 / 255 - 0.2860) / 0.3530, abs=1e-5)


def test_mnist_missing_files(tmp_path):
    message = data_error(cfg(name="mnist", root=str(tmp_path)))
    assert message.startswith("MNIST not found in") and str(tmp_path / "MNIST" / "raw") in message
    assert "download" in message and "ubyte" in message
    # MNIST files do not make Fashion-MNIST
    write_mnist(tmp_path)
    message = data_error(cfg(name="fashion_mnist", root=str(tmp_path)))
    assert str(tmp_path / "FashionMNIST" / "raw") in message


def test_mnist_root_is_a_file(tmp_path):
    f = tmp_path / "mnist.npz"
    f.write_bytes(b"x")
    assert "is a file" in data_error(cfg(name="mnist", root=str(f)))


# --- imagefolder ------------------------------------------------------------------------------

def write_png(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (40, 24), mode: str = "RGB") -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, rgb).convert(mode).save(path)


def test_imagefolder_holdout_round_robin_and_binary(tmp_path):
    for i in range(5):
        write_png(tmp_path / "cat" / f"c{i}.png", (10 * i, 0, 0))
        write_png(tmp_path / "dog" / f"d{i}.jpg", (0, 10 * i, 0))
    write_png(tmp_path / "dog" / "grey.png", (90, 90, 90), mode="L")  # greyscale → RGB
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    b = load_dataset(cfg(name="imagefolder", root=str(tmp_path), n_train=None, n_test=None))
    assert b.class_names == ["cat", "dog"] and b.binary and b.n_outputs == 1
    assert b.x_train.shape == (4 + 5, 3, 32, 32) and b.x_test.shape == (1 + 1, 3, 32, 32)
    # round robin: cat, dog, cat, dog, ...; cat → −1 (first folder), dog → +1
    assert b.y_train.tolist() == [-1, 1, -1, 1, -1, 1, -1, 1, 1]
    assert b.y_test.tolist() == [-1, 1]
    # normalised per channel on the training split
    assert torch.allclose(b.x_train.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    # the held-out images are the last by file name: c4.png and grey.png
    mean, std = _stats_of(tmp_path)
    red = b.x_test[0, 0, 0, 0].item() * std[0] + mean[0]
    assert red * 255 == pytest.approx(40, abs=0.5)
    green = b.x_test[1, 1, 0, 0].item() * std[1] + mean[1]
    assert green * 255 == pytest.approx(90, abs=0.5)


def _stats_of(root: Path):
    """Per-channel mean/std of the raw training pixels, computed independently."""
    from PIL import Image

    files = []
    for cls in ("cat", "dog"):
        names = sorted(p for p in (root / cls).iterdir() if p.suffix in (".png", ".jpg"))
        files.append(names[: len(names) - 1])
    arr = np.stack([np.asarray(Image.open(p).convert("RGB").resize((32, 32))) for group in files for p in group]) / 255.0
    return arr.mean(axis=(0, 1, 2)), arr.std(axis=(0, 1, 2))


def test_imagefolder_train_test_split_first_n_balanced_and_multiclass(tmp_path):
    for split, n in (("train", 6), ("test", 2)):
        for k, cls in enumerate(("ant", "bee", "cow")):
            for i in range(n):
                write_png(tmp_path / split / cls / f"{i:02d}.png", (80 * k, 10 * i, 50))
    b = load_dataset(cfg(name="imagefolder", root=str(tmp_path), n_train=7, n_test=None))
    assert not b.binary and b.n_outputs == 3 and b.class_names == ["ant", "bee", "cow"]
    assert b.y_train.dtype == torch.int64
    assert b.y_train.tolist() == [0, 1, 2, 0, 1, 2, 0]  # the first 7 are balanced
    assert b.y_test.tolist() == [0, 1, 2, 0, 1, 2]  # the test folder, nothing held out

    pair = load_dataset(cfg(name="imagefolder", root=str(tmp_path), classes=[2, 0], n_train=None, n_test=None))
    assert pair.class_names == ["cow", "ant"] and pair.binary
    assert pair.y_train.tolist() == [-1.0, 1.0] * 6
    assert "imagefolder" in pair.description and "cow (-1) vs ant (+1): 12 train / 4 test, 3x32x32" in pair.description


def test_imagefolder_errors(tmp_path):
    missing = tmp_path / "nope"
    message = data_error(cfg(name="imagefolder", root=str(missing)))
    assert str(missing) in message and "does not exist" in message

    empty = tmp_path / "empty"
    empty.mkdir()
    message = data_error(cfg(name="imagefolder", root=str(empty)))
    assert "no class folders" in message and str(empty) in message

    (empty / "a").mkdir()
    (empty / "b").mkdir()
    write_png(empty / "a" / "1.png", (1, 2, 3))
    write_png(empty / "a" / "2.png", (1, 2, 3))
    message = data_error(cfg(name="imagefolder", root=str(empty)))
    assert str(empty / "b") in message and "no images" in message

    write_png(empty / "b" / "1.png", (1, 2, 3))
    write_png(empty / "b" / "2.png", (1, 2, 3))
    (empty / "b" / "3.png").write_bytes(b"\x89PNG broken")
    message = data_error(cfg(name="imagefolder", root=str(empty), classes=[0, 1]))
    assert "3.png" in message and "cannot read" in message

    message = data_error(cfg(name="imagefolder", root=str(empty), classes=[0, 5]))
    assert "out of range" in message and "a, 1 b" in message

    afile = tmp_path / "img.png"
    write_png(afile, (0, 0, 0))
    assert "is a file" in data_error(cfg(name="imagefolder", root=str(afile)))


def test_imagefolder_test_split_with_other_classes(tmp_path):
    write_png(tmp_path / "train" / "a" / "1.png", (0, 0, 0))
    write_png(tmp_path / "train" / "b" / "1.png", (9, 9, 9))
    write_png(tmp_path / "test" / "a" / "1.png", (0, 0, 0))
    write_png(tmp_path / "test" / "c" / "1.png", (0, 0, 0))
    message = data_error(cfg(name="imagefolder", root=str(tmp_path)))
    assert "differ" in message and str(tmp_path / "test") in message


# --- device ---------------------------------------------------------------------------------

def test_device_argument_accepts_strings_and_devices():
    b = load_dataset(cfg(name="shapes", n_train=4, n_test=2), torch.device("cpu"))
    assert all(t.device.type == "cpu" for t in (b.x_train, b.y_train, b.x_test, b.y_test))


@pytest.mark.cuda
def test_everything_on_cuda():
    b = load_dataset(cfg(name="shapes", n_train=16, n_test=8), "cuda")
    assert all(t.device.type == "cuda" for t in (b.x_train, b.y_train, b.x_test, b.y_test))
    assert b.x_train.is_contiguous(memory_format=torch.channels_last)


def test_unknown_dataset_name_is_a_data_error():
    config = DatasetConfig.model_construct(name="svhn", root="data", classes=None, n_train=10, n_test=10, download=False, seed=0)
    assert "svhn" in data_error(config)


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                 "you tried to allocate 12288000000000 bytes. Error code 12 (Cannot allocate memory)"),
    MemoryError(),
])
def test_running_out_of_memory_while_loading_is_one_data_error_line(monkeypatch, error):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(data_mod, "make_shapes", fail)
    with pytest.raises(DataError) as info:
        load_dataset(DatasetConfig(name="shapes", n_train=900_000, n_test=1000))
    message = str(info.value)
    assert "\n" not in message and "dataset.n_train" in message and "memory" in message


def test_shapes_larger_than_this_machines_memory_are_refused_before_allocating(monkeypatch):
    monkeypatch.setattr(data_mod, "_physical_memory", lambda: 2**20)
    monkeypatch.setattr(data_mod, "make_shapes", lambda *a, **k: pytest.fail("allocated anyway"))
    with pytest.raises(DataError, match=r"dataset.n_train.*memory"):
        load_dataset(DatasetConfig(name="shapes", n_train=256, n_test=64))
