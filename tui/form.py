"""The parameters form as data: which field edits which config key, and how the
text in a field becomes a JSON value and back. No Textual here.

Lists are typed as comma-separated values; enums are selects; booleans are
switches; a sweepable boolean (depth_normalization, batch_norm, bias) is a
select of False / True / both. The parallel section's fields take "auto" (also
when left empty) or a number ("auto" kind), or a comma-separated list of names
("autolist" kind: devices).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Optional

if TYPE_CHECKING:
    from sweepdeck.engine.config import SweepConfig

# sweepdeck.engine.config (pydantic) is imported where needed, not here: the form's
# layout must paint before pydantic has loaded (start-up time).

Kind = Literal["list", "range", "scalar", "text", "opttext", "select", "switch", "classes", "auto", "autolist"]

# fields whose placeholder says what leaving them empty means (`all`, `auto`), not an example value
EMPTY_MEANS = {"dataset.classes", "dataset.n_train", "dataset.n_test", "search.n_trials",
               "parallel.devices", "parallel.per_device", "parallel.threads"}

BOOL_SWEEP = [("False", "False"), ("True", "True"), ("both", "False, True")]


@dataclass(frozen=True)
class Field:
    key: str  # dotted config path, e.g. "dataset.n_train"
    label: str
    kind: Kind
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (shown, value text) for selects
    placeholder: str = ""

    @property
    def hint(self) -> str:
        """The placeholder as shown: an example reads as one (`e.g. 0.1, 0.01`), so an
        empty field does not look filled in; what an empty field means is in brackets."""
        if not self.placeholder or self.placeholder.startswith("("):
            return self.placeholder
        if self.key in EMPTY_MEANS:
            return f"({self.placeholder})"
        return f"e.g. {self.placeholder}"

    @property
    def widget_id(self) -> str:
        return "f-" + self.key.replace(".", "-").replace("_", "-")

    @property
    def section(self) -> str:
        return self.key.split(".")[0] if "." in self.key else ""


def _opts(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in values)


_METRICS = _opts("test_acc", "test_loss", "test_f1", "train_loss", "train_acc", "train_eval_loss", "train_f1")

SECTIONS: list[tuple[str, list[Field]]] = [
    ("Sweep (paper keys)", [
        Field("name", "name", "text", "run folder name: letters, digits, . _ -"),
        Field("lr", "lr", "range", "learning rates, comma-separated, or a range 1e-4..0.1 log (random/tpe)",
              placeholder="0.1, 0.01 or 1e-4..0.1 log"),
        Field("batchsize", "batchsize", "range", "batch sizes, or a range 16..128 step 16", placeholder="64"),
        Field("n_epochs", "n_epochs", "scalar", "epochs per trial", placeholder="25"),
        Field("l2_sum_lambda", "l2_sum_lambda", "range", "additive penalty weights (0 = none), or a range 1e-5..1e-2 log",
              placeholder="0.01, 0.001"),
        Field("l2_mul_lambda", "l2_mul_lambda", "range", "multiplicative penalty weights, or a range", placeholder="0.01, 0.001"),
        Field("wn", "wn", "list", "weight norm: gain floats, default or None", placeholder="0.9, 1.2"),
        Field("seed", "seed", "list", "seeds", placeholder="42"),
        Field("opt_name", "opt_name", "list", "adam, adamw, sgd", placeholder="adamw"),
        Field("depth_normalization", "depth_normalization", "select", options=tuple(BOOL_SWEEP)),
        Field("features_normalization", "features_normalization", "select",
              options=(("f_out", "f_out"), ("None", "None"), ("both", "f_out, None"))),
        Field("batch_norm", "batch_norm", "select", options=tuple(BOOL_SWEEP)),
        Field("bias", "bias", "select", options=tuple(BOOL_SWEEP)),
        Field("device", "device", "text", "auto, cpu, cuda, cuda:N, mps", placeholder="auto"),
        Field("mislabel_percentage", "mislabel_percentage", "scalar", "fraction of train labels flipped", placeholder="0.0"),
    ]),
    ("sweepdeck", [
        Field("lr_min", "lr_min", "scalar", "cosine schedule floor", placeholder="0.003"),
        Field("eval_train_set", "eval_train_set", "switch", "evaluate the whole train set each epoch"),
        Field("runs_dir", "runs_dir", "text", "where run folders go", placeholder="runs"),
    ]),
    ("dataset", [
        Field("dataset.name", "name", "select", options=_opts("shapes", "cifar10", "mnist", "fashion_mnist", "imagefolder")),
        Field("dataset.root", "root", "text", "data folder", placeholder="data"),
        Field("dataset.classes", "classes", "classes", "class indices, all, or empty = default", placeholder="default"),
        Field("dataset.n_train", "n_train", "scalar", "empty = all", placeholder="all"),
        Field("dataset.n_test", "n_test", "scalar", "empty = all", placeholder="all"),
        Field("dataset.download", "download", "switch"),
        Field("dataset.seed", "seed", "scalar", placeholder="0"),
    ]),
    ("model", [
        Field("model.name", "name", "text", "underparameterized, overparameterized, tiny, resnet18, pkg.mod:fn",
              placeholder="underparameterized"),
    ]),
    ("search", [
        Field("search.method", "method", "select", options=_opts("grid", "random", "tpe")),
        Field("search.n_trials", "n_trials", "scalar", "random or tpe search: how many", placeholder="all"),
        Field("search.seed", "seed", "scalar", placeholder="0"),
        Field("search.metric", "metric", "select", "what tpe optimises, at a trial's last epoch", options=_METRICS),
        Field("search.batch", "batch", "scalar", "lag B: trial k learns from trials 0..k-B; empty = workers at start",
              placeholder="workers"),
    ]),
    ("early_stop", [
        Field("early_stop.method", "method", "select", "stop hopeless trials (Optuna's pruners)",
              options=_opts("none", "median", "asha", "hyperband")),
        Field("early_stop.metric", "metric", "select", "watched after every epoch", options=_METRICS),
        Field("early_stop.min_epochs", "min_epochs", "scalar", "no trial stops before this epoch", placeholder="1"),
        Field("early_stop.reduction_factor", "reduction_factor", "scalar", "asha, hyperband: keep 1 in this many",
              placeholder="3"),
    ]),
    ("parallel", [
        Field("parallel.devices", "devices", "autolist", "auto (every visible GPU, else device) or cuda:0, cuda:1",
              placeholder="auto"),
        Field("parallel.per_device", "per_device", "auto", "trials sharing one device: auto or 1-64", placeholder="auto"),
        Field("parallel.threads", "threads", "auto", "torch threads per worker: auto (cores / workers) or a number",
              placeholder="auto"),
        Field("parallel.backend", "backend", "select", options=_opts("local", "ray")),
        Field("parallel.address", "address", "opttext", "ray: auto, ray://HOST:10001 or HOST:6379; empty = a local Ray",
              placeholder="(none)"),
    ]),
    ("llm (report)", [
        Field("llm.model", "model", "opttext", "empty = from environment", placeholder="(env)"),
        Field("llm.base_url", "base_url", "opttext", "OpenAI-compatible endpoint", placeholder="(env)"),
        Field("llm.temperature", "temperature", "scalar", placeholder="0.2"),
        Field("llm.timeout_s", "timeout_s", "scalar", placeholder="60"),
        Field("llm.max_retries", "max_retries", "scalar", placeholder="2"),
        Field("llm.max_tokens", "max_tokens", "scalar", placeholder="4096"),
        Field("llm.api_key_file", "api_key_file", "opttext", "the key is never saved in a config", placeholder="(none)"),
    ]),
    ("speed", [
        Field("precision", "precision", "select", "fp32 (the paper's), tf32 or bf16 (CUDA)", options=_opts("fp32", "tf32", "bf16")),
        Field("compile", "compile", "switch", "torch.compile the model once per shape (for GPUs; slower on CPU)"),
    ]),
]

FIELDS: list[Field] = [f for _, fields in SECTIONS for f in fields]
BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
# Errors raised for a whole section land on this field.
SECTION_ERROR_FIELD = {"search": "search.n_trials", "early_stop": "early_stop.method", "dataset": "dataset.name", "model": "model.name", "llm": "llm.model",
                       "parallel": "parallel.devices"}
DEFAULT_FIELD = "name"


# --- values <-> text ----------------------------------------------------------------

def _fmt(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return json.dumps(v)
    return json.dumps(v) if not isinstance(v, int) else str(v)


def _as_bool_text(v: Any) -> Optional[bool]:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def to_text(field: Field, value: Any) -> Any:
    """The widget value for a config value (str for inputs/selects, bool for switches)."""
    if field.kind == "switch":
        b = _as_bool_text(value)
        return bool(b) if b is not None else bool(value)
    if field.kind == "select":
        values = value if isinstance(value, list) else [value]
        if field.options == tuple(BOOL_SWEEP):
            bools = [_as_bool_text(v) for v in values]
            if None in bools:
                return ", ".join(_fmt(v) for v in values)
            uniq = sorted(set(bools))  # type: ignore[type-var]
            return ", ".join(_fmt(b) for b in uniq)
        text = ", ".join(_fmt(v) for v in values)
        return text
    if field.kind == "range" and isinstance(value, dict):
        return range_text(value)
    if field.kind in ("list", "range"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(_fmt(v) for v in values)
    if field.kind in ("classes", "autolist"):
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(_fmt(v) for v in value)
        return _fmt(value)
    if value is None:
        return ""
    return _fmt(value)


# "1e-4..0.1 log", "16..128 step 16": a range of a sampled search, as one line of text.
_RANGE = re.compile(r"\s*(?P<low>[^\s.][^\s]*?)\s*\.\.\s*(?P<high>[^\s]+)(?P<log>\s+log)?(?:\s+step\s+(?P<step>\S+))?\s*")


def range_text(value: dict[str, Any]) -> str:
    text = f"{_fmt(value.get('low'))}..{_fmt(value.get('high'))}"
    if value.get("log"):
        text += " log"
    if value.get("step") is not None:
        text += f" step {_fmt(value['step'])}"
    return text


def parse_range(text: str) -> Any:
    """{"low", "high", "log", "step"} from "LOW..HIGH [log] [step S]"; text that is not
    one stays text, so the config's check names what is wrong with it."""
    from sweepdeck.engine.config import parse_value

    m = _RANGE.fullmatch(text)
    if m is None:
        return text.strip()
    out: dict[str, Any] = {"low": parse_value(m["low"]), "high": parse_value(m["high"])}
    if m["log"]:
        out["log"] = True
    if m["step"]:
        out["step"] = parse_value(m["step"])
    return out


def _split(text: str) -> list[Any]:
    from sweepdeck.engine.config import parse_value

    text = text.strip()
    if text.startswith("["):
        v = parse_value(text)
        return v if isinstance(v, list) else [v]
    return [parse_value(p) for p in text.split(",") if p.strip()]


def from_text(field: Field, text: Any) -> Any:
    """The config value for a widget value."""
    if field.kind == "switch":
        return bool(text)
    text = "" if text is None else str(text)
    if field.kind == "select":
        parts = _split(text)
        if field.options == tuple(BOOL_SWEEP):
            return [_as_bool_text(p) if _as_bool_text(p) is not None else p for p in parts]
        if field.key == "features_normalization":
            return ["None" if p is None else p for p in parts]
        return parts[0] if len(parts) == 1 else parts
    if field.kind == "range" and ".." in text:
        return parse_range(text)
    if field.kind in ("list", "range"):
        return _split(text)
    if field.kind == "classes":
        if not text.strip():
            return None
        if text.strip().lower() == "all":
            return "all"
        return _split(text)
    if field.kind == "text":
        return text.strip()
    if field.kind == "opttext":
        return text.strip() or None
    if field.kind == "autolist":
        # Names, not values: "cuda:0" stays a string, and "0" reaches the config's
        # check as a string too, which names it ("'0' is not a device").
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return "auto" if not parts or parts == ["auto"] else parts
    if field.kind == "auto" and not text.strip():
        return "auto"  # an empty field means the default, as its placeholder says
    # scalar
    if not text.strip():
        return None
    from sweepdeck.engine.config import parse_value

    return parse_value(text)


def get_path(raw: dict[str, Any], key: str) -> Any:
    node: Any = raw
    for part in key.split("."):
        if part == "name" and isinstance(node, str):  # "model": "tiny"
            return node
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def defaults() -> dict[str, Any]:
    """A full config of defaults, as JSON (the starting form)."""
    from sweepdeck.engine.config import SweepConfig

    return json.loads(SweepConfig().model_dump_json())


def form_values(raw: dict[str, Any]) -> dict[str, Any]:
    """Widget values for every field, from a raw config (missing keys: defaults)."""
    base = defaults()
    out: dict[str, Any] = {}
    for f in FIELDS:
        try:
            value = get_path(raw, f.key)
        except KeyError:
            value = get_path(base, f.key)
        out[f.key] = to_text(f, value)
    return out


def extra_keys(raw: dict[str, Any]) -> dict[str, Any]:
    """Keys of a loaded config that the form has no field for (kept on save)."""
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, dict) and any(f.key.startswith(k + ".") for f in FIELDS):
            for kk, vv in v.items():
                if f"{k}.{kk}" not in BY_KEY:
                    out.setdefault(k, {})[kk] = vv
        elif k not in BY_KEY and not any(f.key.startswith(k + ".") for f in FIELDS):
            out[k] = v
    return out


def to_raw(values: dict[str, Any], extra: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """A raw config dict (what "Save JSON" writes) from widget values."""
    from sweepdeck.engine.config import set_path  # engine (and pydantic) load after the first frame

    raw: dict[str, Any] = json.loads(json.dumps(extra or {}))
    for f in FIELDS:
        if f.key in values:
            set_path(raw, f.key.split("."), from_text(f, values[f.key]))
    return raw


# --- errors -> fields -------------------------------------------------------------

_INDEX = re.compile(r"\[\d+\]")


def problem_field(line: str) -> str:
    """The field key a ConfigError line belongs to ("lr[1]: ..." -> "lr")."""
    key = line.split(": ", 1)[0].strip()
    key = _INDEX.sub("", key)
    while key:
        if key in BY_KEY:
            return key
        if key in SECTION_ERROR_FIELD:
            return SECTION_ERROR_FIELD[key]
        if "." not in key:
            break
        key = key.rsplit(".", 1)[0]
    return DEFAULT_FIELD


def check(raw: dict[str, Any]) -> tuple[Optional["SweepConfig"], dict[str, list[str]]]:
    """Validate; (config or None, {field key: [problem lines]})."""
    from sweepdeck.engine.config import ConfigError, validate_config

    try:
        return validate_config(raw), {}
    except ConfigError as err:
        by_field: dict[str, list[str]] = {}
        for line in err.problems:
            key = problem_field(line)
            by_field.setdefault(key, []).append(form_message(BY_KEY.get(key), line))
        return None, by_field


# pydantic's words for a bound or a type, and the form's
_PYDANTIC = [
    (re.compile(r"^(?:Value|List) should have at least (\d+) items? after validation, not \d+$"),
     lambda m: "needs a value" if m.group(1) == "1" else f"needs at least {m.group(1)} values"),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), lambda m: f"must be {m.group(1)} or more"),
    (re.compile(r"^Input should be greater than (\S+)$"), lambda m: f"must be more than {m.group(1)}"),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), lambda m: f"must be {m.group(1)} or less"),
    (re.compile(r"^Input should be less than (\S+)$"), lambda m: f"must be less than {m.group(1)}"),
    (re.compile(r"^Input should be a valid integer.*$"), lambda m: "must be a whole number"),
    (re.compile(r"^Input should be a valid number.*$"), lambda m: "must be a number"),
    (re.compile(r"^Input should be a valid boolean.*$"), lambda m: "must be True or False"),
    (re.compile(r"^Input should be (('[^']*'(, | or )?)+)$"), lambda m: "must be " + m.group(1).replace("'", "")),
]
_PROBLEM = re.compile(r"^(?P<key>[^:]+): (?P<given>.*) is invalid: (?P<msg>.*)$")


def form_message(field: Optional[Field], line: str) -> str:
    """A config problem as the form says it under its field: pydantic's wording
    ("Input should be greater than or equal to 1") becomes what the field needs
    ("must be 1 or more"), and an emptied field says so with an example."""
    m = _PROBLEM.match(line)
    if m is None:
        return line
    key, given, msg = m.group("key"), m.group("given"), m.group("msg")
    for pattern, say in _PYDANTIC:
        found = pattern.match(msg)
        if found:
            msg = say(found)
            break
    example = f", e.g. {field.placeholder}" if field is not None and field.hint.startswith("e.g.") else ""
    if given in ("[]", "null", '""'):  # an emptied field: what it needs, with an example
        needs = "needs " + msg.removeprefix("must be ") if msg.startswith("must be ") else msg
        needs = needs if needs.startswith("needs") else f"needs a value: {msg}"
        return f"{key}: {needs}{example}"
    return f"{key}: {given} {msg}" if msg.startswith("must") else f"{key}: {given} is invalid: {msg}"


# --- saving: the user's keys ---------------------------------------------------------

def _same(field: Field, a: Any, b: Any) -> bool:
    """Two config values the field shows alike (`["False"]` and `[false]` for a sweepable boolean)."""
    return to_text(field, a) == to_text(field, b)


def as_written(raw: dict[str, Any], written: Optional[dict[str, Any]] = None,
               base: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """What "Save JSON" writes: the keys of `written` (the file loaded into the
    form) as they were written where the form did not change them, and the keys
    the user changed from the defaults; no default filled in. Keys the form has
    no field for are kept as they are. `base`: the form's defaults (the config's,
    with the TUI's runs folder)."""
    from sweepdeck.engine.config import set_path

    written = written or {}
    base = base or defaults()
    out: dict[str, Any] = json.loads(json.dumps(extra_keys(raw)))
    for f in FIELDS:
        try:
            value = get_path(raw, f.key)
        except KeyError:
            continue
        try:
            before, had = get_path(written, f.key), True
        except KeyError:
            had = False
        if had and _same(f, before, value):
            value = before  # as the user wrote it
        elif not had and _same(f, get_path(base, f.key), value):
            continue  # a default the user did not write
        if f.key == "model.name" and isinstance(written.get("model"), str):
            out["model"] = value  # "model": "tiny" stays a name
            continue
        set_path(out, f.key.split("."), value)
    return {k: out[k] for k in [*written, *(k for k in out if k not in written)] if k in out}  # the file's order first
