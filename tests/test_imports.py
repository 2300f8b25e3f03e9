"""The TUI imports these modules at start-up: they must not drag in torch or pandas."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _loaded_after(imports: str) -> set[str]:
    code = f"import sys; {imports}; print(' '.join(sorted(m for m in ('torch', 'pandas', 'textual', 'openai') if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(out.stdout.split())


def test_light_engine_modules_import_neither_torch_nor_pandas():
    loaded = _loaded_after("import engine.config, engine.trials, engine.events, engine.store, engine.report, engine.cli")
    assert not loaded & {"torch", "pandas", "textual"}


def test_tui_does_not_import_torch():
    assert "torch" not in _loaded_after("import tui.app")
