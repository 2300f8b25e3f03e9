"""`sweepdeck export`: TensorBoard event files and MLflow runs, read back with the tools' own readers.

The tests that need `tensorboard` or `mlflow-skinny` (the extras `sweepdeck[tensorboard]`,
`sweepdeck[mlflow]`) skip without them; `make test` installs both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sweepdeck.engine import store
from sweepdeck.engine.cli import main
from sweepdeck.engine.events import EpochMetrics, read_events
from sweepdeck.engine.liveness import LOCK
from tests.support.synthetic import make_run, paper_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tb():
    return pytest.importorskip("tensorboard", reason="needs the tensorboard extra: pip install 'sweepdeck[tensorboard]'")


@pytest.fixture(scope="module")
def mlflow_db(tmp_path_factory):
    """One SQLite store for the module: creating one runs MLflow's migrations (seconds)."""
    pytest.importorskip("mlflow", reason="needs the mlflow extra: pip install 'sweepdeck[mlflow]'")
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


def small_run(path: Path) -> Path:
    """6 trials × 6 epochs: t001 diverges in epoch 4, t004 is interrupted, t005 never starts."""
    return make_run(path, paper_config(n_epochs=6), diverge={"t001": 4}, statuses={"t004": "interrupted", "t005": "pending"})


def cut_log(run_dir: Path, dest: Path, n_lines: int) -> Path:
    """A copy of `run_dir` as it was when its log had `n_lines` lines (a sweep still running)."""
    shutil.copytree(run_dir, dest)
    lines = (run_dir / store.EVENTS).read_bytes().splitlines(keepends=True)
    (dest / store.EVENTS).write_bytes(b"".join(lines[:n_lines]))
    return dest


def epochs_by_trial(run_dir: Path) -> dict[str, list[EpochMetrics]]:
    out: dict[str, list[EpochMetrics]] = {}
    for ev in read_events(run_dir / store.EVENTS).events:
        if isinstance(ev, EpochMetrics):
            out.setdefault(ev.trial_id, []).append(ev)
    return out


def accumulators(out: Path, run_dir: Path) -> dict[str, object]:
    """Each trial folder's events as TensorBoard's own reader loads them, by trial id."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accs = {}
    for folder in sorted((out / run_dir.name).iterdir()):
        if folder.is_dir():
            acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
            acc.Reload()
            accs[folder.name.split()[0]] = acc
    return accs


def hparams_session_groups(logdir: Path) -> dict[str, dict]:
    """What TensorBoard's HParams dashboard shows: its plugin's /session_groups, served from `logdir`."""
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import hparams_plugin
    from werkzeug import test as wtest, wrappers

    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    ctx = base_plugin.TBContext(logdir=str(logdir), multiplexer=mux,
                                data_provider=data_provider.MultiplexerDataProvider(mux, str(logdir)))
    client = wtest.Client(application.TensorBoardWSGI([hparams_plugin.HParamsPlugin(ctx)]), wrappers.Response)
    reply = client.post("/data/plugin/hparams/session_groups", json={
        "startIndex": 0, "sliceSize": 100, "colParams": [],
        "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]})
    assert reply.status_code == 200, reply.get_data()
    return {g["name"]: g for g in json.loads(reply.get_data())["sessionGroups"]}


def export(run_dir: Path, *flags: str) -> int:
    return main(["export", str(run_dir), *flags])


# --- TensorBoard ----------------------------------------------------------------------------------

def test_tensorboard_scalars_per_trial_and_the_hparams_table(tmp_path, tb, capsys):
    run = small_run(tmp_path / "runs" / "20260101-000000-small")
    out = tmp_path / "tb"
    assert export(run, "--tensorboard", str(out)) == 0
    assert "5 trials, 24 new epochs" in capsys.readouterr().out  # 6+3+6+6+3 epochs, t005 never ran
    accs = accumulators(out, run)
    truth = epochs_by_trial(run)
    assert sorted(accs) == sorted(truth) == ["t000", "t001", "t002", "t003", "t004"]
    for tid, evs in truth.items():
        got = accs[tid].Scalars("test/acc")
        assert [s.step for s in got] == [e.epoch for e in evs]
        assert [s.value for s in got] == pytest.approx([e.test_acc for e in evs], abs=1e-6)
        assert [s.wall_time for s in got] == pytest.approx([e.time for e in evs])
        best = [s.value for s in accs[tid].Scalars("test/acc_best")]
        assert best == pytest.approx([max(e.test_acc for e in evs[:i + 1]) for i in range(len(evs))], abs=1e-6)
        assert {"train/loss", "train/acc", "test/loss", "penalty/sum", "optim/lr", "norm/layer_0"} <= set(accs[tid].Tags()["scalars"])
    groups = hparams_session_groups(out)
    g = groups[f"{run.name}/t000"]
    assert g["hparams"]["lr"] == 0.01 and g["hparams"]["exp_type"] == "Summation" and g["hparams"]["l2_sum_lambda"] == 0.01
    metrics = {m["name"]["tag"]: m["value"] for m in g["metricValues"]}
    assert metrics["test/acc"] == pytest.approx(truth["t000"][-1].test_acc, abs=1e-6)
    assert metrics["test/acc_best"] == pytest.approx(max(e.test_acc for e in truth["t000"]), abs=1e-6)
    status = {name.split("/")[1]: grp["sessions"][0]["status"] for name, grp in groups.items()}
    # a diverged trial failed; an interrupted one may resume, so it has no end yet
    assert status == {"t000": "STATUS_SUCCESS", "t001": "STATUS_FAILURE", "t002": "STATUS_SUCCESS",
                      "t003": "STATUS_SUCCESS", "t004": "STATUS_UNKNOWN"}


def test_tensorboard_reexport_appends_only_new_epochs(tmp_path, tb):
    full = small_run(tmp_path / "full" / "20260101-000000-small")
    growing = tmp_path / "runs" / full.name
    cut_log(full, growing, 12)  # mid-way through t001
    out = tmp_path / "tb"
    assert export(growing, "--tensorboard", str(out)) == 0
    before = accumulators(out, growing)
    assert [s.step for s in before["t001"].Scalars("test/acc")] == [1, 2]
    files = {p: p.read_bytes() for p in (out / full.name).rglob("events.out.tfevents*")}
    (growing / store.EVENTS).write_bytes((full / store.EVENTS).read_bytes())  # the sweep went on
    assert export(growing, "--tensorboard", str(out)) == 0
    for p, data in files.items():
        assert p.read_bytes().startswith(data)  # appended to, never rewritten
    assert export(growing, "--tensorboard", str(out)) == 0  # nothing new: nothing written
    after = accumulators(out, growing)
    for tid, evs in epochs_by_trial(full).items():
        assert [s.step for s in after[tid].Scalars("test/acc")] == [e.epoch for e in evs], tid


def test_tensorboard_recovers_from_a_killed_export_and_a_lost_state_file(tmp_path, tb):
    run = small_run(tmp_path / "runs" / "20260101-000000-small")
    out = tmp_path / "tb"
    export(run, "--tensorboard", str(out))
    t000 = next((out / run.name).glob("t000*")) / "events.out.tfevents.0.sweepdeck"
    clean = t000.read_bytes()
    with t000.open("ab") as fh:  # a record the state file never heard of, half written
        fh.write(clean[-40:-7])
    export(run, "--tensorboard", str(out))
    assert t000.read_bytes() == clean
    (out / run.name / ".sweepdeck-export.json").unlink()
    export(run, "--tensorboard", str(out))
    assert t000.read_bytes() == clean  # written again from its start, not appended to
    assert [s.step for s in accumulators(out, run)["t000"].Scalars("test/acc")] == [1, 2, 3, 4, 5, 6]


def test_tensorboard_export_of_an_untrusted_run_folder(tmp_path, tb):
    run = small_run(tmp_path / "runs" / "20260101-000000-small")
    lines = (run / store.EVENTS).read_text().splitlines()
    for i, line in enumerate(lines):
        ev = json.loads(line)
        if ev.get("trial_id") == "t002":  # a trial id that would climb out of the export folder
            ev["trial_id"] = "../../escaped"
        if ev.get("type") == "trial_started" and ev["trial_id"] == "t000":
            ev["label"] = "\x1b]0;pwned\x07sum=0.01/../x"
        lines[i] = json.dumps(ev)
    (run / store.EVENTS).write_text("\n".join(lines) + "\n")
    resolved = json.loads((run / store.RESOLVED).read_text())
    resolved["trials"] = []  # labels then come from the log
    (run / store.RESOLVED).write_text(json.dumps(resolved))
    out = tmp_path / "tb"
    assert export(run, "--tensorboard", str(out)) == 0
    made = sorted(p.name for p in (out / run.name).iterdir() if p.is_dir())
    assert [m.split()[0] for m in made] == ["t000", "t001", "t003", "t004"]
    assert made[0] == "t000 sum=0.01_.._x"  # no escape sequence, no path separator
    assert not list(tmp_path.rglob("escaped*"))
    link = tmp_path / "elsewhere"
    link.symlink_to(tmp_path / "target", target_is_directory=True)
    (tmp_path / "target").mkdir()
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / run.name).symlink_to(tmp_path / "target")
    assert export(run, "--tensorboard", str(tmp_path / "linked")) == 2
    assert list((tmp_path / "target").iterdir()) == []


def test_follow_exports_a_growing_run_until_its_runner_is_gone(tmp_path, tb, monkeypatch):
    from sweepdeck.engine.export import command

    full = small_run(tmp_path / "full" / "20260101-000000-small")
    run = cut_log(full, tmp_path / "runs" / full.name, 3)
    lines = (full / store.EVENTS).read_bytes().splitlines(keepends=True)
    written = [3]
    live = [True]
    monkeypatch.setattr(command, "run_is_live", lambda _d: live[0])

    def runner_goes_on(_seconds: float) -> None:  # each poll's wait: the runner writes 7 more lines
        n = written[0] = min(len(lines), written[0] + 7)
        (run / store.EVENTS).write_bytes(b"".join(lines[:n]))
        live[0] = n < len(lines)

    out = tmp_path / "tb"
    exporters = command.open_exporters(run, str(out), None)
    command.follow(run, list(exporters.values()), sleep=runner_goes_on)
    for ex in exporters.values():
        ex.close()
    accs = accumulators(out, run)
    for tid, evs in epochs_by_trial(full).items():
        assert [s.step for s in accs[tid].Scalars("test/acc")] == [e.epoch for e in evs], tid


def test_follow_a_real_sweep(tmp_path, tb, tiny_config_file):
    """A runner in its own process; `export --follow` from the start to its end."""
    cfg = tiny_config_file(n_epochs=3, lr=[0.01, 0.02])
    run = tmp_path / "runs" / "live"
    proc = subprocess.Popen([sys.executable, "-P", "-m", "sweepdeck.engine.cli", "run", str(cfg), "--run-dir", str(run),
                             "--no-report"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import time

        deadline = time.monotonic() + 60
        while not (run / LOCK).exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert export(run, "--tensorboard", str(tmp_path / "tb"), "--follow") == 0
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    accs = accumulators(tmp_path / "tb", run)
    assert sorted(accs) == ["t000", "t001"]
    for tid, evs in epochs_by_trial(run).items():
        assert [s.value for s in accs[tid].Scalars("test/acc")] == pytest.approx([e.test_acc for e in evs], abs=1e-6)


# --- errors ----------------------------------------------------------------------------------------

def test_export_needs_a_destination_and_says_which_extra_is_missing(tmp_path, capsys, monkeypatch):
    run = small_run(tmp_path / "runs" / "r")
    assert export(run) == 2
    assert "--tensorboard DIR and/or --mlflow URI" in capsys.readouterr().err
    for name in [m for m in sys.modules if m.split(".")[0] in ("tensorboard", "mlflow")] + ["tensorboard", "mlflow"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if they were not installed
    assert export(run, "--tensorboard", str(tmp_path / "tb")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["sweepdeck: --tensorboard needs the tensorboard package: pip install 'sweepdeck[tensorboard]'"]
    assert export(run, "--mlflow", "sqlite:///x.db") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["sweepdeck: --mlflow needs the mlflow-skinny package: pip install 'sweepdeck[mlflow]'"]


# --- MLflow ----------------------------------------------------------------------------------------

def mlflow_runs(uri: str, experiment: str) -> tuple[object, dict[str, object]]:
    """(the client, the experiment's runs by trial id; the sweep's run under "sweep")."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id])
    by = {}
    for r in runs:
        key = r.data.tags.get("sweepdeck.trial_id") or "sweep"
        assert key not in by, f"two runs for {key}"
        by[key] = r
    return client, by


def test_mlflow_parent_and_child_runs(tmp_path, mlflow_db, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow puts a SQLite store's artifacts under ./mlruns
    run = small_run(tmp_path / "runs" / "20260101-000000-small")
    (run / "report.md").write_text("# Sweep report\n")
    assert export(run, "--mlflow", mlflow_db, "--experiment", "parent-child") == 0
    client, runs = mlflow_runs(mlflow_db, "parent-child")
    assert sorted(runs) == ["sweep", "t000", "t001", "t002", "t003", "t004"]
    sweep = runs["sweep"]
    assert sweep.info.run_name == run.name and sweep.info.status == "FINISHED"
    assert sorted(a.path for a in client.list_artifacts(sweep.info.run_id)) == ["config.json", "report.md"]
    truth = epochs_by_trial(run)
    assert sweep.data.metrics["test/acc_best"] == pytest.approx(max(e.test_acc for evs in truth.values() for e in evs))
    for tid, evs in truth.items():
        r = runs[tid]
        assert r.data.tags["mlflow.parentRunId"] == sweep.info.run_id
        assert r.info.run_name.startswith(tid)
        hist = sorted(client.get_metric_history(r.info.run_id, "test/acc"), key=lambda m: m.step)
        assert [(m.step, m.value, m.timestamp) for m in hist] == [
            (e.epoch, pytest.approx(e.test_acc), round(e.time * 1000)) for e in evs]
    assert runs["t000"].data.params["lr"] == "0.01" and runs["t000"].data.params["exp_type"] == "Summation"
    states = {tid: (r.data.tags["sweepdeck.status"], r.info.status) for tid, r in runs.items() if tid != "sweep"}
    assert states == {"t000": ("completed", "FINISHED"), "t001": ("diverged", "FAILED"), "t002": ("completed", "FINISHED"),
                      "t003": ("completed", "FINISHED"), "t004": ("interrupted", "KILLED")}


def test_mlflow_reexport_updates_the_same_runs(tmp_path, mlflow_db, monkeypatch):
    monkeypatch.chdir(tmp_path)
    full = small_run(tmp_path / "full" / "20260101-000000-grow")
    growing = cut_log(full, tmp_path / "runs" / full.name, 12)
    assert export(growing, "--mlflow", mlflow_db, "--experiment", "reexport") == 0
    client, runs = mlflow_runs(mlflow_db, "reexport")
    assert runs["t001"].info.status == "RUNNING" and runs["sweep"].info.status == "FAILED"  # crashed: no runner, no end
    (growing / store.EVENTS).write_bytes((full / store.EVENTS).read_bytes())
    for _ in range(2):
        assert export(growing, "--mlflow", mlflow_db, "--experiment", "reexport") == 0
    client, runs = mlflow_runs(mlflow_db, "reexport")  # asserts one run per trial
    assert runs["t001"].info.status == "FAILED" and runs["sweep"].info.status == "FINISHED"
    for tid, evs in epochs_by_trial(full).items():
        steps = [m.step for m in client.get_metric_history(runs[tid].info.run_id, "test/acc")]
        assert sorted(steps) == [e.epoch for e in evs], tid


def test_mlflow_unreachable_is_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow", reason="needs the mlflow extra")
    monkeypatch.chdir(tmp_path)
    run = small_run(tmp_path / "runs" / "r")
    (tmp_path / "not-a-folder").write_text("")
    assert export(run, "--mlflow", f"sqlite:///{tmp_path}/not-a-folder/m.db") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sweepdeck: MLflow at sqlite:///") and "Traceback" not in err[0]
