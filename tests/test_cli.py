"""The `sweepdeck` command as a user runs it: exit codes, one-line errors, output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sweepdeck(*args: str, cwd: Path | None = None, timeout: float = 120,
              pythonpath: tuple[Path, ...] = ()) -> subprocess.CompletedProcess:
    path = os.pathsep.join(str(p) for p in (ROOT, *pythonpath))
    return subprocess.run([sys.executable, "-m", "sweepdeck.engine.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": path, "OPENAI_API_KEY": ""})


def _assert_clean_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr


def test_dry_run_prints_trials_and_count():
    proc = sweepdeck("run", "configs/paper_3_1.json", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("16 trials")
    assert "sum=0.01 lr=0.1 wn=0.9" in proc.stdout


def test_set_changes_the_trial_count():
    proc = sweepdeck("run", "configs/paper_s1_2.json", "--dry-run", "--set", "lr=0.1,0.01", "--set", "l2_mul_lambda=[]")
    assert proc.stdout.strip().endswith("6 trials")


@pytest.mark.parametrize("content, fragments", [
    ('{"lr": -1}', ["lr[0]: -1 is invalid"]),
    ('{"lr": [0.1,, 0.2]}', ["malformed JSON"]),
    ('{"optimizer": "adam"}', ["optimizer: unknown key"]),
    ('[1, 2]', ["JSON object"]),
])
def test_bad_config_exits_2_with_one_line_per_problem(tmp_path, content, fragments):
    path = tmp_path / "c.json"
    path.write_text(content)
    proc = sweepdeck("run", str(path))
    _assert_clean_error(proc, *fragments)
    assert len(proc.stderr.strip().splitlines()) == 1


def test_bad_set_and_missing_file_exit_2(tmp_path):
    _assert_clean_error(sweepdeck("run", "configs/quick.json", "--set", "lr"), "expected key=value")
    _assert_clean_error(sweepdeck("run", str(tmp_path / "none.json")), "no such config file")
    _assert_clean_error(sweepdeck("run", "configs/quick.json", "--set", "name=../x"), "name:")


def test_missing_dataset_exits_2_without_creating_a_run(tmp_path):
    proc = sweepdeck("run", "configs/paper_s1_2.json", "--set", f"dataset.root={tmp_path}/data",
                     "--set", f"runs_dir={tmp_path}/runs")
    _assert_clean_error(proc, "CIFAR-10", str(tmp_path / "data"))
    assert not (tmp_path / "runs").exists()


def test_unknown_model_exits_2(tiny_config_file):
    _assert_clean_error(sweepdeck("run", str(tiny_config_file(model="resnet999"))), "resnet999")


def test_run_show_runs_end_to_end(tiny_config_file, tmp_path):
    cfg = tiny_config_file(lr=[0.01, 0.02])
    proc = sweepdeck("run", str(cfg), "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert "best test accuracy:" in proc.stdout
    run_dir = next((tmp_path / "runs").iterdir())
    assert f"results: {run_dir}" in proc.stdout
    assert "t001 epoch 2/2" in proc.stderr  # plain progress lines when not a terminal

    shown = sweepdeck("show", str(run_dir))
    assert shown.returncode == 0
    assert "completed, 2/2 trials finished" in shown.stdout
    assert "t001" in shown.stdout

    listed = sweepdeck("runs", "--runs-dir", str(tmp_path / "runs"))
    assert run_dir.name in listed.stdout and "completed" in listed.stdout

    # a damaged folder is read as far as it is valid
    (run_dir / "trials.csv").unlink()
    (run_dir / "metrics.csv").unlink()
    with (run_dir / "events.jsonl").open("ab") as fh:
        fh.write(b'{"type": "epoch", "trial_')
    shown = sweepdeck("show", str(run_dir))
    assert shown.returncode == 0, shown.stderr
    assert "damaged: events.jsonl: skipped a damaged line: the last line" in shown.stdout
    assert "t001   completed" in shown.stdout


def test_run_dir_must_be_new(tiny_config_file, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("keep me")
    _assert_clean_error(sweepdeck("run", str(tiny_config_file()), "--run-dir", str(taken)), "--run-dir")
    assert (taken / "x").read_text() == "keep me"


@pytest.mark.parametrize("arg, fragment", [
    ("../plain", "not a sweepdeck run folder"),
    ("no-such-run", "no such run folder"),
    ("../../no-such-run", "no such run folder"),
])
def test_bad_run_ids_exit_2(tmp_path, arg, fragment):
    # Relative to a folder the test owns: the checkout's own parents differ between machines.
    (tmp_path / "plain").mkdir()
    (tmp_path / "cwd").mkdir()
    _assert_clean_error(sweepdeck("show", arg, cwd=tmp_path / "cwd"), fragment)


def test_schema_is_json():
    proc = sweepdeck("schema")
    assert proc.returncode == 0
    assert "lr" in json.loads(proc.stdout)["properties"]


def test_random_search_over_a_huge_grid_dry_runs(tmp_path):
    raw = {"lr": [0.001 * (i + 1) for i in range(300)], "batchsize": list(range(1, 301)), "seed": list(range(300)),
           "search": {"method": "random", "n_trials": 12, "seed": 3}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(raw))
    proc = sweepdeck("run", str(path), "--dry-run", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("12 trials")


def test_a_two_million_value_grid_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"lr": [1 + i for i in range(2_000_000)], "runs_dir": str(tmp_path / "runs")}))
    proc = sweepdeck("run", str(path), "--dry-run", timeout=60)
    _assert_clean_error(proc, "2,000,000 trials", "100,000")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def _tiny_text(tmp_path: Path, **overrides) -> str:
    from conftest import tiny_raw

    return json.dumps(tiny_raw(**{"runs_dir": str(tmp_path / "runs"), **overrides}))


@pytest.mark.parametrize("case, fragments", [
    ("deep", ["nested too deeply"]),
    ("nul_runs_dir", ["runs_dir:", "NUL"]),
    ("long_runs_dir", ["runs_dir:", "300 bytes", "255"]),
    ("proc_runs_dir", ["runs_dir", "/proc/sweepdeck-cannot-be-here"]),
    ("huge_n_train", ["dataset.n_train: 1000000000", "at most 1,000,000"]),
    ("infinite_lr", ["lr[0]: Infinity", "finite"]),
    ("nan_lr", ["lr[0]: NaN", "finite"]),
    ("overflowing_lr", ["lr[0]: Infinity", "finite"]),
    ("infinite_timeout", ["llm.timeout_s: Infinity", "finite"]),
])
def test_hostile_configs_are_one_line_exit_2_and_leave_no_run_folder(tmp_path, case, fragments):
    runs = tmp_path / "runs"
    text = {
        "deep": lambda: '{"lr": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "nul_runs_dir": lambda: _tiny_text(tmp_path, runs_dir=str(runs / "a\0b")),
        "long_runs_dir": lambda: _tiny_text(tmp_path, runs_dir=str(runs / ("x" * 300))),
        "proc_runs_dir": lambda: _tiny_text(tmp_path, runs_dir="/proc/sweepdeck-cannot-be-here"),
        "huge_n_train": lambda: _tiny_text(tmp_path, dataset={"name": "shapes", "n_train": 10**9, "n_test": 100}),
        "infinite_lr": lambda: _tiny_text(tmp_path).replace('"lr": [0.01]', '"lr": Infinity'),
        "nan_lr": lambda: _tiny_text(tmp_path).replace('"lr": [0.01]', '"lr": [NaN]'),
        "overflowing_lr": lambda: _tiny_text(tmp_path).replace('"lr": [0.01]', '"lr": 1e999'),
        "infinite_timeout": lambda: _tiny_text(tmp_path)[:-1] + ', "llm": {"timeout_s": Infinity}}',
    }[case]()
    path = tmp_path / "hostile.json"
    path.write_text(text)
    proc = sweepdeck("run", str(path), timeout=90)
    _assert_clean_error(proc, *fragments)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not runs.exists()


EVIL = "from pathlib import Path\nPath({marker!r}).write_text('ran')\ndef make(**kw):\n    raise SystemExit('evil')\n"


def test_model_code_in_the_current_folder_is_not_imported(tmp_path):
    marker = tmp_path / "imported"
    (tmp_path / "evil.py").write_text(EVIL.format(marker=str(marker)))
    (tmp_path / "c.json").write_text(_tiny_text(tmp_path, model="evil:make"))
    proc = sweepdeck("run", "c.json", cwd=tmp_path)
    _assert_clean_error(proc, "evil", "not found", "PYTHONPATH")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "runs").exists()


def test_dry_run_shows_the_model_file_without_running_it(tmp_path):
    lib = tmp_path / "lib" / "mypkg"
    lib.mkdir(parents=True)
    marker = tmp_path / "imported"
    (lib / "__init__.py").write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    (lib / "nets.py").write_text(EVIL.format(marker=str(marker)))
    (tmp_path / "c.json").write_text(_tiny_text(tmp_path, model="mypkg.nets:make"))
    proc = sweepdeck("run", "c.json", "--dry-run", cwd=tmp_path, pythonpath=(tmp_path / "lib",))
    assert proc.returncode == 0, proc.stderr
    assert f"model code: mypkg.nets:make in {lib / 'nets.py'} (runs when the sweep starts)" in proc.stdout
    assert not marker.exists()  # not even the package's __init__ ran


def test_a_factory_that_exits_fails_cleanly_before_the_run_folder(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "quitter.py").write_text("def make(**kw):\n    raise SystemExit('no model today')\n")
    (tmp_path / "c.json").write_text(_tiny_text(tmp_path, model="quitter:make"))
    proc = sweepdeck("run", "c.json", cwd=tmp_path, pythonpath=(lib,))
    _assert_clean_error(proc, "quitter:make", "SystemExit")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("model", ["os:abort", "sys:exit", "builtins:exit"])
def test_process_ending_factories_are_refused_as_config_errors(tiny_config_file, tmp_path, model):
    proc = sweepdeck("run", str(tiny_config_file(model=model)))
    _assert_clean_error(proc, f"model.name: \"{model}\"", "standard library")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_show_and_runs_print_no_escape_sequences_from_a_shared_run_folder(tmp_path):
    """Run names, labels, errors and damage notes come from events.jsonl, which anyone can write."""
    from test_facts import hand_built
    from test_safe_text import PAYLOAD as payload, control_chars
    run_dir = hand_built(tmp_path / "runs" / "20260101-120000-x\x1b[2Jy")
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    for e in events:
        if e["type"] == "run_started":
            e["name"] = f"name {payload}"
        if e.get("trial_id") == "t000" and e["type"] == "trial_started":
            e["label"] = f"label {payload}"
        if e.get("trial_id") == "t001" and e["type"] == "trial_finished":
            e.update(status="failed", error=f"boom {payload}\u202egnp.exe")
    lines = [json.dumps(e) for e in events]
    lines.append(json.dumps({"type": "trial_started", "trial_id": f"t9{payload}"})[:-1])  # a damaged last line
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")

    shown = sweepdeck("show", str(run_dir))
    listed = sweepdeck("runs", "--runs-dir", str(tmp_path / "runs"))
    for proc in (shown, listed):
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout + proc.stderr
        assert not control_chars(out), repr(out)
    assert "t001: boom link" in shown.stdout and "label link" in shown.stdout
    assert "20260101-120000-xy" in listed.stdout


def test_bad_report_options_are_refused_before_training(tiny_config_file, tmp_path):
    proc = sweepdeck("run", str(tiny_config_file()), "--timeout", "0")
    _assert_clean_error(proc, "--timeout must be > 0")
    assert not (tmp_path / "runs").exists()


def test_every_error_a_user_can_cause_shares_one_base():
    import importlib
    import inspect
    import pkgutil

    import sweepdeck.engine
    from sweepdeck.engine.errors import SweepdeckError

    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(sweepdeck.engine.__path__, prefix="sweepdeck.engine.")]
    errors = {cls for mod in modules for _, cls in inspect.getmembers(mod, inspect.isclass)
              if issubclass(cls, Exception) and cls.__module__.startswith("sweepdeck.engine.")}
    assert len(errors) >= 10
    assert [cls.__name__ for cls in errors if not issubclass(cls, SweepdeckError)] == []


# --- pipes and signals ------------------------------------------------------------------------

def _cli_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "", "OMP_NUM_THREADS": "1"}


def test_show_into_a_pipe_closed_early_exits_quietly(tmp_path):
    """`sweepdeck show RUN | head -2`: the reader leaves after two lines of ~60 kB (more than a pipe holds)."""
    from tests.support.synthetic import make_run

    run = make_run(tmp_path / "big", {"lr": [round(0.001 * (i + 1), 6) for i in range(600)], "n_epochs": 1,
                                      "l2_sum_lambda": [0.001], "l2_mul_lambda": [], "seed": [1]})
    proc = subprocess.Popen([sys.executable, "-m", "sweepdeck.engine.cli", "show", str(run)], cwd=ROOT, env=_cli_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = [proc.stdout.readline() for _ in range(2)]
        proc.stdout.close()  # as `head` exits: the next write hits a closed pipe
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141  # 128 + SIGPIPE, as `yes | head` gives
    finally:
        proc.kill()
    assert head[0].startswith(b"run big: completed, 600/600")
    assert err == ""  # no BrokenPipeError traceback, not even "Exception ignored" at exit


def test_a_run_stopped_with_ctrl_c_exits_130(tmp_path):
    """SIGINT (Ctrl+C) → 130; SIGTERM → 143 is checked where test_resume.py and test_parallel.py stop their runners."""
    import signal
    import time

    cfg = tmp_path / "c.json"
    from conftest import tiny_raw

    cfg.write_text(json.dumps(tiny_raw(n_epochs=100_000)))  # cannot finish before the signal
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "sweepdeck.engine.cli", "run", str(cfg), "--run-dir", str(run_dir),
                             "--no-report"], cwd=ROOT, env=_cli_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:  # a trial started: the runner's handlers are set
            if (run_dir / "events.jsonl").exists() and b'"type":"trial_started"' in (run_dir / "events.jsonl").read_bytes():
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()  # a failed step must not leave a 100,000-epoch sweep running
    assert proc.returncode == 130
    assert f"interrupted: continue with `sweepdeck resume {run_dir}`" in out
