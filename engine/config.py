"""The sweep configuration: the paper's JSON keys plus sweepdeck's own sections.

Every key of SPEC §1 is accepted in every form the paper's GUI wrote it: scalars
or lists, booleans as "True"/"False" strings, "None" as a string or null. After
validation every sweepable key is a list, so trials.py never guesses.

This module must stay light (no torch, no pandas): the TUI validates as you type.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from sweepdeck.engine.errors import ConfigError
from sweepdeck.engine.space import MAX_TRIALS, check_search, check_size
from sweepdeck.engine.usercode import stdlib_problem


# dataset.n_train / n_test: every image is held in memory as float32 (12 KB at
# 3x32x32), so a million is already 12 GB; CIFAR-10 and MNIST have far fewer.
MAX_IMAGES = 1_000_000
# Real configs nest three levels (config → dataset → classes); deeper is hostile
# and would recurse through pydantic and json.dumps.
MAX_DEPTH = 32




# --- lenient scalars, as the paper's GUI wrote them ---------------------------

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _as_bool(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{value!r} is not a boolean: use true/false (or \"True\"/\"False\")")
    return value


def _as_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"none", "null", ""}:
        return None
    return value


def _as_list(value: Any) -> Any:
    """A scalar means a one-value sweep; tuples come from Python callers."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


Bool = Annotated[bool, BeforeValidator(_as_bool)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]
OptimizerName = Literal["adam", "adamw", "sgd"]
FeaturesNorm = Annotated[Union[Literal["f_out"], None], BeforeValidator(_as_none)]


def _as_wn(value: Any) -> Any:
    value = _as_none(value)
    if isinstance(value, str):
        if value.strip().lower() == "default":
            return "default"
        try:
            value = float(value)
        except ValueError:
            pass
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(_NOT_FINITE)
        return value
    raise ValueError(f"{value!r} is not a weight-norm setting: use a float gain (e.g. 0.9), \"default\" or \"None\"")


def _path_text(value: str) -> str:
    """A path the file system can hold, refused here rather than as an OSError
    (or a ValueError for NUL) from deep inside a run."""
    if "\0" in value:
        raise ValueError("contains a NUL character, which no path can hold: remove it")
    for part in re.split(r"[/\\]", value):
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > 255:
            raise ValueError(f"the folder name {part[:12]!r}... is {size} bytes long, more than the 255 a file system allows: shorten it")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size >= 4096:
        raise ValueError(f"is {size} bytes long, more than the 4096 a path may have: choose a shorter path")
    return value


PathText = Annotated[str, AfterValidator(_path_text)]
def _image_count(value: int) -> int:
    if value > MAX_IMAGES:
        raise ValueError(f"at most {MAX_IMAGES:,}: every image is held in memory at once "
                         "(a million 32x32 colour images are 12 GB); ask for fewer")
    return value


ImageCount = Annotated[int, Field(ge=1, json_schema_extra={"maximum": MAX_IMAGES}), AfterValidator(_image_count)]
_NOT_FINITE = "must be a finite number (not Infinity or NaN, and within ±1.8e308)"
# Every section: unknown keys are typos, and Infinity/NaN (which Python's json
# accepts) would train nonsense and be written out as non-standard JSON.
_SECTION = ConfigDict(extra="forbid", allow_inf_nan=False)


WeightNorm = Annotated[Union[float, Literal["default"], None], BeforeValidator(_as_wn)]


def _sweep(item: Any, *, min_length: int = 1) -> Any:
    """A sweepable key: a non-empty list of `item`, a scalar accepted as one value."""
    return Annotated[list[item], BeforeValidator(_as_list), Field(min_length=min_length)]


class FloatRange(BaseModel):
    """A numeric interval that a sampled search (random, tpe) draws from, instead
    of a list of values: {"low": 1e-4, "high": 0.1, "log": true}."""

    model_config = _SECTION

    low: float
    high: float
    log: Bool = False  # sample log-uniformly (needs low > 0): for rates and penalty weights
    step: Union[Annotated[float, Field(gt=0)], None] = None  # only multiples of step above low

    @model_validator(mode="after")
    def _ordered(self) -> "FloatRange":
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) is above high ({self.high:g}): swap them")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0 (got {self.low:g}): raise low or drop \"log\"")
        if self.log and self.step is not None:
            raise ValueError("log and step cannot be combined: drop one of them")
        return self

    def describe(self) -> str:
        return f"{'log ' if self.log else ''}{self.low:g}..{self.high:g}" + (f" step {self.step:g}" if self.step else "")


class IntRange(FloatRange):
    """A range of whole numbers (batchsize)."""

    low: int
    high: int
    step: Union[Annotated[int, Field(ge=1)], None] = None


def _range_or_list(value: Any) -> str:
    # The tags are the names _format_loc leaves out, so errors read "lr.low" and "lr[0]".
    return "range" if isinstance(value, (dict, FloatRange)) else "list[...]"


def _as_list_unless_range(value: Any) -> Any:
    return value if isinstance(value, (dict, FloatRange)) else _as_list(value)


def _sweep_or_range(item: Any, rng: type, *, min_length: int = 1, positive: bool = False) -> Any:
    """A sweepable numeric key: a list (a grid axis) or a range (sampled searches only)."""
    checked = Annotated[rng, AfterValidator(_positive_low)] if positive else rng
    return Annotated[
        Union[Annotated[checked, Tag("range")], Annotated[list[item], Field(min_length=min_length), Tag("list[...]")]],
        Discriminator(_range_or_list),
        BeforeValidator(_as_list_unless_range),
    ]


def _positive_low(r: FloatRange) -> FloatRange:
    if r.low <= 0:
        raise ValueError(f"low must be above 0 (got {r.low:g}): a range of learning rates or penalty weights starts "
                         "above zero (λ = 0 is No_Regularization: put 0 in the other penalty's list)")
    return r


# --- sections ------------------------------------------------------------------

DatasetName = Literal["shapes", "cifar10", "mnist", "fashion_mnist", "imagefolder"]


class DatasetConfig(BaseModel):
    """Which data the sweep trains on (SPEC §3 for the defaults)."""

    model_config = _SECTION

    name: DatasetName = "cifar10"
    root: PathText = "data"
    # Two classes give the paper's ±1 / MSE task (first → −1, second → +1); more,
    # or "all", give a multi-class task with cross-entropy. Unset: the dataset's
    # default pair (SPEC §3's cat/deer for CIFAR-10), every class for imagefolder.
    classes: Union[list[int], Literal["all"], None] = None
    n_train: Union[ImageCount, None] = 10_000
    n_test: Union[ImageCount, None] = 2_000
    download: Bool = False
    seed: int = 0  # generated data (shapes) and the label-noise draw

    @field_validator("classes", mode="before")
    @classmethod
    def _classes_none(cls, v: Any) -> Any:
        return _as_none(v)

    @field_validator("classes")
    @classmethod
    def _two_or_more_distinct(cls, v: Any) -> Any:
        if isinstance(v, list) and (len(v) < 2 or len(set(v)) != len(v) or min(v) < 0):
            raise ValueError('needs at least two distinct class indices ≥ 0, or "all"')
        return v

    def resolved_classes(self) -> list[int] | Literal["all"]:
        """The classes actually used: the given ones, or the dataset's default."""
        if self.classes is not None:
            return self.classes
        return DEFAULT_CLASSES.get(self.name, "all")

    @property
    def binary(self) -> bool:
        classes = self.resolved_classes()
        return classes != "all" and len(classes) == 2


DEFAULT_CLASSES: dict[str, list[int]] = {"cifar10": [3, 4], "shapes": [0, 1], "mnist": [3, 5], "fashion_mnist": [0, 6]}


class ModelConfig(BaseModel):
    """`underparameterized` | `overparameterized` | `tiny` | a torchvision name | `pkg.module:factory`."""

    model_config = _SECTION

    name: str = "underparameterized"

    @field_validator("name")
    @classmethod
    def _looks_like_a_model(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?", v):
            raise ValueError(
                "must be underparameterized, overparameterized, tiny, a torchvision model "
                "name (e.g. resnet18) or an import path 'package.module:factory'"
            )
        problem = stdlib_problem(v)
        if problem:
            raise ValueError(problem)
        return v


# Per-epoch metrics a search may optimise or a pruner watch (fields of EpochMetrics).
MetricName = Literal["test_acc", "test_loss", "test_f1", "train_loss", "train_acc", "train_eval_loss", "train_f1"]


def maximises(metric: str) -> bool:
    """Accuracies and F1 are better high, losses low."""
    return not metric.endswith("_loss")


class SearchConfig(BaseModel):
    """Grid (the paper's); random sampling of the grid or of ranges; TPE (Optuna)."""

    model_config = _SECTION

    method: Literal["grid", "random", "tpe"] = "grid"
    n_trials: Union[Annotated[int, Field(ge=1, le=MAX_TRIALS)], None] = None
    seed: int = 0
    metric: MetricName = "test_acc"  # tpe's objective: this metric at a trial's last epoch
    # The lag B of the determinism rule (README, "Sampled search"): trial k is proposed
    # (and judged by a pruner) from trials 0..k-B only. null: the number of workers at
    # the run's start, recorded in resolved.json so a resume keeps it.
    batch: Union[Annotated[int, Field(ge=1, le=MAX_TRIALS)], None] = None

    @model_validator(mode="after")
    def _sampled_needs_count(self) -> "SearchConfig":
        if self.method != "grid" and self.n_trials is None:
            raise ValueError(f"search.method '{self.method}' needs search.n_trials (e.g. 10)")
        return self


class EarlyStopConfig(BaseModel):
    """Stopping hopeless trials early through Optuna's pruners, for any search method."""

    model_config = _SECTION

    method: Literal["none", "median", "asha", "hyperband"] = "none"
    metric: MetricName = "test_acc"  # watched after every epoch
    min_epochs: PositiveInt = 1  # no trial is stopped before this epoch
    reduction_factor: Annotated[int, Field(ge=2, le=100)] = 3  # asha, hyperband: keep 1 in this many per rung


class LLMConfig(BaseModel):
    """Where reports are written. The API key is never part of a config: it is
    read from OPENAI_API_KEY (or `api_key_file`), so no saved file carries it."""

    model_config = _SECTION

    model: Union[str, None] = None
    base_url: Union[str, None] = None
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    timeout_s: Annotated[float, Field(gt=0)] = 60.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 2
    max_tokens: Annotated[int, Field(gt=0)] = 4096  # the answer's length; a report needs about 2-4k
    api_key_file: Union[PathText, None] = None


_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?|mps")
_ONE_DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")


def _device_list(value: Any) -> Any:
    """"auto", one device, or a list of distinct devices; `--set parallel.devices=cuda:0,cuda:2` gives a list."""
    if value == "auto":
        return value
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(d, str) for d in value):
        raise ValueError('must be "auto" or a list of devices such as ["cuda:0", "cuda:1"]')
    bad = [d for d in value if not _ONE_DEVICE.fullmatch(d)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a device: use cpu, cuda:N or mps (or \"auto\" for every visible GPU)")
    if len(set(value)) != len(value):
        raise ValueError("lists a device twice: use per_device for several trials on one device")
    return value


# Ray's ways to name a cluster (README, "Beyond one box"): Ray Client, or a head's GCS.
_RAY_ADDRESS = re.compile(r"ray://[A-Za-z0-9.\-]+(:\d{1,5})?|([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}")


def _ray_address(value: Any) -> Any:
    value = _as_none(value)
    if value is None or value == "auto":
        return value
    if not isinstance(value, str) or not _RAY_ADDRESS.fullmatch(value.strip()):
        raise ValueError('must be null (a Ray instance of its own), "auto" (the cluster `ray start` joined here), '
                         '"ray://HOST:PORT" or "HOST:PORT"')
    return value.strip()


def _auto_or_count(high: int) -> Any:
    """"auto" or a whole number 1..high, with one message for both (not one per union branch)."""
    def check(value: Any) -> Any:
        if value == "auto":
            return value
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f'must be "auto" or a whole number from 1 to {high}')
        return value
    return Annotated[Union[Literal["auto"], int], BeforeValidator(check),
                     Field(json_schema_extra={"anyOf": [{"const": "auto"}, {"type": "integer", "minimum": 1, "maximum": high}]})]


class ParallelConfig(BaseModel):
    """How many trials run at once, and where (engine/placement.py resolves "auto").

    Workers = devices x per_device, each a process training one trial at a time.
    Results do not depend on the number of workers; on CPU they may depend on
    `threads` (the split of a sum over threads rounds differently)."""

    model_config = _SECTION

    # "auto": every visible CUDA device when `device` allows CUDA, else `device` itself.
    devices: Annotated[Union[Literal["auto"], list[str]], BeforeValidator(_device_list)] = "auto"
    # "auto": one trial per GPU; on CPU one worker per core (at most one per trial),
    # because two 1-thread workers train 1.5-1.7x faster than one 2-thread worker.
    per_device: _auto_or_count(64) = "auto"
    # torch threads per worker. "auto": this machine's cores divided among the workers.
    threads: _auto_or_count(1024) = "auto"
    # "local": worker processes on this machine; "ray": one Ray actor per worker, anywhere
    # on a Ray cluster, while this machine keeps the run folder (engine/ray_pool.py).
    backend: Literal["local", "ray"] = "local"
    # backend "ray" only: which cluster; null starts a Ray instance for this sweep.
    address: Annotated[Union[str, None], BeforeValidator(_ray_address)] = None

    @model_validator(mode="after")
    def _address_needs_ray(self) -> "ParallelConfig":
        if self.address is not None and self.backend != "ray":
            raise ValueError('parallel.address is only used with parallel.backend "ray"')
        return self


# --- the whole config ------------------------------------------------------------

_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class SweepConfig(BaseModel):
    """One JSON file that drives a whole sweep (SPEC §1 plus sweepdeck's sections)."""

    model_config = _SECTION

    name: str = "sweep"
    # --- the paper's keys (SPEC §1) ---
    batchsize: _sweep_or_range(PositiveInt, IntRange, positive=True) = [64]
    lr: _sweep_or_range(PositiveFloat, FloatRange, positive=True) = [0.01]
    n_epochs: PositiveInt = 25
    l2_sum_lambda: _sweep_or_range(NonNegFloat, FloatRange, min_length=0, positive=True) = [0.0]
    l2_mul_lambda: _sweep_or_range(NonNegFloat, FloatRange, min_length=0, positive=True) = [0.0]
    wn: _sweep(WeightNorm) = [None]
    seed: _sweep(int) = [42]
    depth_normalization: _sweep(Bool) = [False]
    features_normalization: _sweep(FeaturesNorm) = ["f_out"]
    batch_norm: _sweep(Bool) = [False]
    bias: _sweep(Bool) = [False]
    device: str = "auto"
    # Speed (issue 9): "fp32" is IEEE float32, the paper's; "tf32" lets CUDA matmuls and
    # convolutions use TF32; "bf16" runs them under bfloat16 autocast.
    precision: Literal["fp32", "tf32", "bf16"] = "fp32"
    compile: Bool = False  # torch.compile the model, once per model shape; eager with a warning where unavailable
    opt_name: _sweep(OptimizerName) = ["adamw"]
    mislabel_percentage: Annotated[float, Field(ge=0, le=1)] = 0.0
    # --- sweepdeck's own ---
    lr_min: NonNegFloat = 0.003
    eval_train_set: Bool = True
    runs_dir: PathText = "runs"
    dataset: DatasetConfig = DatasetConfig()
    model: ModelConfig = ModelConfig()
    search: SearchConfig = SearchConfig()
    early_stop: EarlyStopConfig = EarlyStopConfig()
    parallel: ParallelConfig = ParallelConfig()
    llm: LLMConfig = LLMConfig()

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        # The name becomes part of a folder name: no separators, no "..".
        if not _RUN_NAME.fullmatch(v) or ".." in v:
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-' (no '/' or '..')")
        return v

    @field_validator("device")
    @classmethod
    def _known_device(cls, v: str) -> str:
        if not _DEVICE.fullmatch(v):
            raise ValueError("must be auto, cpu, cuda, cuda:N or mps")
        return v

    @field_validator("model", mode="before")
    @classmethod
    def _model_as_string(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v

    @field_validator("n_epochs", mode="before")
    @classmethod
    def _one_epoch_count(cls, v: Any) -> Any:
        # The GUI sometimes wrote [250]; a list of several is ambiguous.
        if isinstance(v, list) and len(v) == 1:
            return v[0]
        return v


# --- loading, overriding, reporting errors --------------------------------------------

def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "literal[", "union[", "nullable[", "json-or-python")) or part in {"bool", "float", "int", "str", "list[...]", "range"}:
            continue  # pydantic's internal branch names say nothing to a user
        else:
            text = str(part)
            if not re.fullmatch(r"\w+", text):
                text = json.dumps(text)  # a key with spaces or newlines stays on one line
            out += ("." if out else "") + text
    return out or "config"


def format_errors(err: ValidationError) -> list[str]:
    """One line per problem: the key, the value given, and what is allowed."""
    lines: list[str] = []
    seen: set[str] = set()
    for e in err.errors(include_url=False):
        key = _format_loc(e["loc"])
        if e["type"] == "extra_forbidden":
            line = f"{key}: unknown key (check the spelling; `sweepdeck schema` lists every key)"
        else:
            msg = _NOT_FINITE if e["type"] == "finite_number" else e["msg"].removeprefix("Value error, ")
            given = e.get("input")
            shown = json.dumps(given) if _jsonable(given) else repr(given)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            line = f"{key}: {shown} is invalid: {msg}"
        if line not in seen:  # union branches repeat the same complaint
            seen.add(line)
            lines.append(line)
    return lines


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def _check_depth(data: Any) -> None:
    """ConfigError when containers nest deeper than MAX_DEPTH. Iterative: the check
    itself must not be what overflows the stack."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, dict):
            children: Any = value.items()
        elif isinstance(value, (list, tuple)):
            children = enumerate(value)
        else:
            continue
        if len(loc) >= MAX_DEPTH:
            raise ConfigError([f"{_format_loc(loc[:3])}: nested too deeply (more than {MAX_DEPTH} levels of lists or "
                               "objects): a config holds numbers, strings, lists of them and sections of those"])
        stack.extend(((*loc, k), v) for k, v in children if isinstance(v, (dict, list, tuple)))


def validate_config(data: Any) -> SweepConfig:
    """Validate a decoded JSON value; raises ConfigError with one line per problem."""
    if not isinstance(data, dict):
        raise ConfigError([f"config: must be a JSON object {{...}}, got {type(data).__name__}"])
    _check_depth(data)
    try:
        cfg = SweepConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err)) from None
    check_search(cfg)  # ranges only where sampled, metrics that exist
    check_size(cfg)  # the trial count is part of validity: the TUI marks it as you type
    return cfg


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The raw JSON object of a config file, with file and JSON errors as ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such config file (try one in configs/)"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, expected a JSON config file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot be read: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except RecursionError:
        raise ConfigError([f"{path}: nested too deeply to read (lists or objects hundreds of levels inside each other): "
                           "a config is at most three levels deep"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: must hold a JSON object {{...}}"])
    _check_depth(data)  # before --set copies it through json.dumps
    return data


def load_config(path: str | Path, overrides: list[str] | None = None) -> tuple[dict[str, Any], SweepConfig]:
    """Read, apply `--set` overrides, validate. Returns (raw dict as given, config)."""
    raw = read_config_file(path)
    raw = apply_overrides(raw, overrides or [])
    return raw, validate_config(raw)


def parse_value(text: str) -> Any:
    """One `--set` value: JSON when it parses (numbers, true, null, lists), else the string."""
    text = text.strip()
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def parse_override(item: str) -> tuple[list[str], Any]:
    """`key=value[,value]` or `section.key=value` → (path, value)."""
    if "=" not in item:
        raise ConfigError([f"--set {item!r}: expected key=value, e.g. --set lr=0.1,0.01"])
    key, _, text = item.partition("=")
    path = key.strip().split(".")
    if not all(re.fullmatch(r"[A-Za-z_]\w*", p) for p in path):
        raise ConfigError([f"--set {item!r}: {key.strip()!r} is not a config key (use e.g. lr or dataset.n_train)"])
    text = text.strip()
    if text.startswith(("[", "{")):  # a list or a range, e.g. lr={"low": 1e-4, "high": 0.1}
        value = parse_value(text)
    elif "," in text:
        value = [parse_value(part) for part in text.split(",") if part.strip()]
    else:
        value = parse_value(text)
    return path, value


def set_path(raw: dict[str, Any], path: list[str], value: Any) -> None:
    """Set `raw[a][b]... = value`, creating sections; a model given as a bare string
    becomes {"name": ...} so `model.name` can be set on it."""
    node = raw
    for part in path[:-1]:
        child = node.get(part)
        if isinstance(child, str) and part == "model":
            child = {"name": child}
        if not isinstance(child, dict):
            child = {}
        node[part] = child
        node = child
    node[path[-1]] = value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """A copy of `raw` with every `--set` applied (validation happens afterwards)."""
    out = json.loads(json.dumps(raw))
    for item in overrides:
        path, value = parse_override(item)
        set_path(out, path, value)
    return out


def config_schema() -> dict[str, Any]:
    """JSON Schema of the config, for editors (`sweepdeck schema`)."""
    schema = SweepConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sweepdeck sweep config"
    return schema
