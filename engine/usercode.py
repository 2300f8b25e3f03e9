"""Model code named by a config (`model: "package.module:factory"`).

A config is shared like a data file, but this one key makes the runner import and
call code. The rules here keep that code to what the user installed or put on
PYTHONPATH themselves, and let the CLI and the TUI say which file it is before
anything runs. Light (no torch): the TUI looks files up as you type.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Optional

RUNS_WHEN = "runs when the sweep starts"
NOT_ON_PATH = ("install it, or add the folder that holds it to PYTHONPATH (the current folder is not "
               "searched, so a module lying next to a config never runs)")


def split_model_path(name: str) -> Optional[tuple[str, str]]:
    """(module, factory) of an import path `package.module:factory`, None for a built-in name."""
    if ":" not in name:
        return None
    module, _, attr = name.partition(":")
    return module, attr


def stdlib_problem(name: str) -> Optional[str]:
    """Why `name` is not a model factory, when it names the standard library.

    No model lives there, and what does (os:abort, sys:exit, subprocess:run, a
    module that acts when imported) would end or take over the runner instead of
    failing one trial."""
    parts = split_model_path(name)
    if parts is None:
        return None
    top = parts[0].split(".")[0]
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        return (f"{top} is part of Python's standard library, which holds no model: name a function or class of "
                "your own module, e.g. 'mymodels:make'")
    return None


def drop_implicit_cwd() -> None:
    """Remove the current folder that `python -m` (or `-c`) put first on sys.path.

    Left there, `model: "evil:make"` imports an evil.py lying next to a
    downloaded config. An explicit PYTHONPATH entry for the same folder is a
    separate, later entry and stays."""
    if sys.flags.safe_path or not sys.path:
        return
    first = sys.path[0]
    here = os.getcwd()
    if first not in ("", here):
        return  # a script's own folder (the `sweepdeck` console script's bin/), not the current one
    del sys.path[0]


def _find_spec(name: str, path: Optional[list[str]]) -> Any:
    """The spec of `name` from the finders the import system would ask, without
    importing it or running any package's __init__."""
    if name in sys.modules and getattr(sys.modules[name], "__spec__", None) is not None:
        return sys.modules[name].__spec__
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(name, path)
        except (ImportError, ValueError, OSError):
            continue
        if spec is not None:
            return spec
    return None


def module_file(module: str) -> Optional[str]:
    """The file that `import module` would run, found without running anything:
    importlib.util.find_spec would import (run) every parent package's __init__,
    so the parents' search locations are walked here by hand. None when not found."""
    parts = module.split(".")
    path: Optional[list[str]] = None
    spec = None
    for i in range(len(parts)):
        spec = _find_spec(".".join(parts[: i + 1]), path)
        if spec is None:
            return None
        if i < len(parts) - 1:
            if spec.submodule_search_locations is None:
                return None  # a plain module has no submodules
            path = list(spec.submodule_search_locations)
    if spec.origin in (None, "namespace"):
        locations = list(spec.submodule_search_locations or [])
        return locations[0] if locations else None
    return spec.origin


@dataclass(frozen=True)
class ModelCode:
    """Where a custom model's code comes from: its file, or why it cannot be used."""

    name: str
    file: Optional[str]
    problem: Optional[str]

    def line(self) -> str:
        """One line for the dry run and the TUI's preview."""
        if self.problem:
            return f"model code: {self.name}: {self.problem}"
        return f"model code: {self.name} in {self.file} ({RUNS_WHEN})"


def find_model_code(name: str) -> Optional[ModelCode]:
    """The file a custom model would be imported from, found without running it;
    None for a built-in or torchvision model."""
    parts = split_model_path(name)
    if parts is None:
        return None
    problem = stdlib_problem(name)
    if problem:
        return ModelCode(name, None, problem)
    found = module_file(parts[0])
    if found is None:
        return ModelCode(name, None, f"module {parts[0]!r} not found on the import path: {NOT_ON_PATH}")
    return ModelCode(name, found, None)
