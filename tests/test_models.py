import math

import pytest
import torch
from torch import nn

from sweepdeck.engine.models import ModelError, build_model, layer_gain, squared_layer_norms, weight_layers
from sweepdeck.engine.penalties import additive_penalty, layer_terms, multiplicative_penalty


def _model(name="underparameterized", **kw):
    args = dict(in_channels=3, n_outputs=1, image_size=32, bias=False, batch_norm=False, wn=None)
    args.update(kw)
    return build_model(name, **args)


def test_underparameterized_architecture():
    m = _model()
    convs = [l for l in weight_layers(m) if isinstance(l, nn.Conv2d)]
    linears = [l for l in weight_layers(m) if isinstance(l, nn.Linear)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 128]
    assert [(l.in_features, l.out_features) for l in linears] == [(128, 512), (512, 1)]
    assert sum(isinstance(l, nn.MaxPool2d) for l in m) == 3
    assert all(l.bias is None for l in weight_layers(m))
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 1)


def test_overparameterized_and_tiny():
    big = _model("overparameterized")
    assert [l.weight.shape[0] for l in weight_layers(big)] == [64, 128, 256, 512, 2048, 1]
    tiny = _model("tiny", batch_norm=True)
    assert [l.weight.shape[0] for l in weight_layers(tiny)] == [4, 8, 16, 1]
    assert sum(isinstance(l, nn.BatchNorm1d) for l in tiny.modules()) == 0  # no BN on tiny's linear
    assert sum(isinstance(l, nn.BatchNorm2d) for l in tiny.modules()) == 2


def test_bias_and_batch_norm_options():
    m = _model(bias=True, batch_norm=True)
    assert all(l.bias is not None for l in weight_layers(m))
    assert sum(isinstance(l, nn.BatchNorm2d) for l in m.modules()) == 4
    assert sum(isinstance(l, nn.BatchNorm1d) for l in m.modules()) == 1


def test_weight_norm_float_gain_and_unit_direction():
    torch.manual_seed(0)
    m = _model(wn=0.9, batch_norm=True)
    assert not any(isinstance(l, (nn.BatchNorm1d, nn.BatchNorm2d)) for l in m.modules())  # off under wn
    for layer in weight_layers(m):
        assert float(layer_gain(layer).detach()) == pytest.approx(0.9)
        assert float(layer.weight.detach().norm()) == pytest.approx(0.9, rel=1e-5)


def test_weight_norm_default_starts_at_initial_norm():
    torch.manual_seed(0)
    plain = _model()
    torch.manual_seed(0)
    normed = _model(wn="default")
    for a, b in zip(weight_layers(plain), weight_layers(normed)):
        assert float(layer_gain(b).detach()) == pytest.approx(float(a.weight.detach().norm()), rel=1e-6)
        torch.testing.assert_close(a.weight, b.weight)


@torch.no_grad()
def test_penalties_match_hand_computed_values():
    m = _model("tiny")
    with torch.no_grad():
        for value, layer in zip([1.0, 2.0, 0.5, 3.0], weight_layers(m)):
            layer.weight.fill_(value)
    # ‖W‖² = value² × numel; numels: 4·3·9=108, 8·4·9=288, 16·8=128, 1·16=16
    sq = [1 * 108, 4 * 288, 0.25 * 128, 9 * 16]
    assert [float(v.detach()) for v in squared_layer_norms(m)] == pytest.approx(sq)
    plain = layer_terms(m, None)
    assert float(additive_penalty(plain, False)) == pytest.approx(sum(sq))
    assert float(additive_penalty(plain, True)) == pytest.approx(sum(sq) / 4)
    assert float(multiplicative_penalty(plain, False)) == pytest.approx(math.prod(sq))
    assert float(multiplicative_penalty(plain, True)) == pytest.approx(math.prod(sq) ** 0.25)
    f_out = [s / n for s, n in zip(sq, [4, 8, 16, 1])]
    assert [float(v.detach()) for v in layer_terms(m, "f_out")] == pytest.approx(f_out)
    assert float(additive_penalty(layer_terms(m, "f_out"), False)) == pytest.approx(sum(f_out))


def test_penalty_under_weight_norm_uses_the_gain():
    m = _model("tiny", wn=1.5)
    terms = layer_terms(m, None)
    assert [float(t.detach()) for t in terms] == pytest.approx([2.25] * 4)
    p = multiplicative_penalty(terms, False)
    p.backward()
    assert all(layer_gain(l).grad is not None for l in weight_layers(m))


def test_torchvision_model_adapts_channels_and_outputs():
    m = build_model("resnet18", in_channels=1, n_outputs=10, image_size=28, bias=False, batch_norm=False, wn=None)
    assert m(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_user_model_by_import_path(tmp_path, monkeypatch):
    (tmp_path / "mymodels.py").write_text(
        "from torch import nn\n"
        "def make(in_channels, n_outputs):\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 32 * 32, n_outputs))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    m = build_model("mymodels:make", in_channels=3, n_outputs=1, image_size=32, bias=False, batch_norm=False, wn=0.5)
    assert float(layer_gain(weight_layers(m)[0]).detach()) == 0.5


@pytest.mark.parametrize("name, fragment", [("no_such_module_xyz:make", "cannot import"), ("resnet999", "unknown"),
                                            ("torchvision.models:nothing_here", "no callable")])
def test_bad_models_are_model_errors(name, fragment):
    with pytest.raises(ModelError, match=fragment):
        _model(name)


@pytest.mark.parametrize("name", ["sys:exit", "builtins:exit", "subprocess:run", "os:getcwd", "shutil:rmtree"])
def test_standard_library_callables_are_not_model_factories(name):
    with pytest.raises(ModelError, match="standard library"):
        _model(name)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """Writes `<name>.py` with `source` into a folder on sys.path."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(name: str, source: str) -> str:
        (tmp_path / f"{name}.py").write_text(source)
        return name

    return make


@pytest.mark.parametrize("body, fragment", [
    ("def make():\n    raise SystemExit(3)\n", "raised SystemExit"),
    ("def make():\n    raise KeyboardInterrupt\n", "raised KeyboardInterrupt"),
    ("def make(in_channels, width):\n    pass\n", "raised TypeError"),
    ("import sys\nsys.exit('bye')\n", "SystemExit"),
])
def test_a_factory_that_exits_or_raises_is_a_one_line_model_error(user_module, body, fragment):
    name = user_module(f"exiting_{abs(hash(body))}", body)
    with pytest.raises(ModelError, match=fragment) as info:
        _model(f"{name}:make")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("body, fragment", [
    ("from os import getcwd as make\n", "not a Python function or class"),
    ("from json import dumps as make\n", "'json:dumps'"),
    ("import functools\nfrom torch import nn\nmake = functools.partial(nn.Linear, 3)\n", "not a Python function or class"),
])
def test_a_factory_must_be_defined_in_the_named_package(user_module, body, fragment):
    name = user_module(f"borrowed_{abs(hash(body))}", body)
    with pytest.raises(ModelError, match=fragment):
        _model(f"{name}:make")


def test_a_factory_re_exported_within_its_own_package_is_fine(tmp_path, monkeypatch):
    pkg = tmp_path / "mynets"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .conv import Net\n")
    (pkg / "conv.py").write_text("from torch import nn\nclass Net(nn.Sequential):\n"
                                 "    def __init__(self, n_outputs):\n        super().__init__(nn.Flatten(), nn.LazyLinear(n_outputs))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert isinstance(_model("mynets:Net", n_outputs=3), nn.Module)
