"""How the modules import each other: what the TUI imports at start-up must not drag in
torch or pandas, and no two modules import each other."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _loaded_after(imports: str) -> set[str]:
    code = f"import sys; {imports}; print(' '.join(sorted(m for m in ('torch', 'pandas', 'textual', 'openai') if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(out.stdout.split())


def test_light_engine_modules_import_neither_torch_nor_pandas():
    loaded = _loaded_after("import sweepdeck.engine.config, sweepdeck.engine.trials, sweepdeck.engine.events, sweepdeck.engine.store, sweepdeck.engine.report, sweepdeck.engine.cli")
    assert not loaded & {"torch", "pandas", "textual"}


def test_tui_does_not_import_torch():
    assert "torch" not in _loaded_after("import sweepdeck.tui.app")


def _module_imports(path: Path) -> set[str]:
    """Every engine/tui module `path` imports, at module level or inside functions
    (both run), but not under `if TYPE_CHECKING:` (never run)."""
    import ast

    tree = ast.parse(path.read_text())
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
               for n in ast.walk(node)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_import_cycles():
    """A cycle means two rooms that cannot be understood (or tested) one without the other."""
    modules = {"sweepdeck." + ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for pkg in ("engine", "tui") for p in (ROOT / pkg).rglob("*.py")}
    graph = {name: {m for m in _module_imports(p) if m in modules and m != name} for name, p in modules.items()}
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(path[path.index(dep):] + [node, dep]) if dep in path else f"{node} -> {dep}")
            elif dep not in state:
                visit(dep, path + [node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert cycles == []


def test_only_sweepdeck_is_claimed_at_the_top_level(tmp_path):
    """Installed, the rooms are sweepdeck.engine and sweepdeck.tui: no package called
    `engine` or `tui` lands in site-packages to clash with someone else's."""
    code = ("import importlib.util as u, sweepdeck.engine.cli, sweepdeck.tui.app; "
            "print(u.find_spec('engine') is None, u.find_spec('tui') is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.split() == ["True", "True"]
