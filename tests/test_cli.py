"""The `sweepdeck` command as a user runs it: exit codes, one-line errors, output."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sweepdeck(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": ""})


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
    assert "damaged: events.jsonl: the last line is damaged" in shown.stdout
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
