"""The Ray backend (issue 12) on a real Ray cluster of two 1-CPU nodes in this machine.

The same sweep must give the same numbers as the local backend, the driver stays
the only writer, and a node lost mid-trial costs that trial a retry from its last
checkpoint, not its numbers. One cluster serves the whole module: starting one
takes seconds. Without Ray installed, only the install message is tested."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FOUR_TRIALS, events_of, sweep_into, tiny_raw
from sweepdeck.engine import store
from sweepdeck.engine.cli import main
from sweepdeck.engine.config import validate_config
from sweepdeck.engine.events import EpochMetrics, LogLine, TrialFinished, TrialStarted

# One worker runs every test here (pytest-xdist): they share one cluster.
pytestmark = pytest.mark.xdist_group("ray_cluster")
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="Ray is not installed (pip install 'sweepdeck[ray]')")
# Two workers of one thread each: one per node of the cluster below, and the
# numbers of the local backend's one-thread worker.
ON_RAY = {"backend": "ray", "per_device": 2, "threads": 1}


@pytest.fixture(scope="module")
def driver_folder(tmp_path_factory) -> Path:
    """The test driver's current folder when it joined the cluster: Ray puts that
    folder on every worker's import path (sweepdeck must take it off)."""
    return tmp_path_factory.mktemp("driver_cwd")


@pytest.fixture(scope="module")
def client_port() -> int:
    """Where the cluster's head serves Ray Client (ray://)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(driver_folder, client_port):
    import ray
    from ray.cluster_utils import Cluster

    # The head has no CPU, so every actor runs on a worker node that a test can remove;
    # it serves Ray Client (ray://) too.
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False,
                                                            "ray_client_server_port": client_port})
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    here = os.getcwd()
    os.chdir(driver_folder)
    try:
        ray.init(address=cluster.address)
    finally:
        os.chdir(here)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def _raylet_pid(node) -> int:
    return node.all_processes["raylet"][0].process.pid


def _parent_pid(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@needs_ray
def test_a_sweep_on_two_ray_nodes_gives_the_local_numbers(cluster, tmp_path, finished_run):
    run_dir = tmp_path / "run"
    result = sweep_into(run_dir, {**FOUR_TRIALS, "parallel": ON_RAY})
    assert result.status == "completed"
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)
    started = events_of(run_dir, TrialStarted)
    assert {e.worker for e in started} == {0, 1}
    # each worker was an actor on its own node: its process is a child of that node's raylet
    raylets = {_raylet_pid(n) for n in cluster.worker_nodes}
    assert {_parent_pid(e.worker_pid) for e in started} == raylets
    # the driver wrote everything, weights included (no shared file system needed)
    assert all((run_dir / "trials" / t / "weights.pt").is_file() for t in result.trial_status)
    env = json.loads((run_dir / store.ENV).read_text())
    assert env["ray"]["cpus"] == 2 and env["parallel"]["workers"] == 2
    # generated data has no files on the nodes: they got the driver's copy
    said = [e.message for e in events_of(run_dir, LogLine) if "has the dataset from" in e.message]
    assert len(said) == 2 and all("the driver (Ray's object store)" in m for m in said), said


@needs_ray
def test_a_cuda_sweep_on_a_cluster_without_gpus_is_refused_before_any_folder(cluster, tiny_config_file, tmp_path,
                                                                           capsys):
    cfg = tiny_config_file(device="cuda", parallel=ON_RAY)
    assert main(["run", str(cfg), "--no-report"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the Ray cluster has no GPU" in err[0], err
    assert not (tmp_path / "runs").exists()


@needs_ray
def test_a_node_lost_mid_trial_costs_a_retry_not_the_numbers(cluster, tmp_path, finished_run):
    started: dict[str, int] = {}
    lost: list[str] = []

    def remove_the_node_of_the_first_trial_to_finish_an_epoch(event) -> None:
        if isinstance(event, TrialStarted):
            started[event.trial_id] = event.worker_pid
        elif isinstance(event, EpochMetrics) and not lost:
            raylet = _parent_pid(started[event.trial_id])
            node = next(n for n in cluster.worker_nodes if _raylet_pid(n) == raylet)
            cluster.remove_node(node, allow_graceful=False)
            # A machine that is lost takes its processes with it; a removed node of
            # this Cluster leaves its workers running until they notice its raylet is gone.
            os.kill(started[event.trial_id], signal.SIGKILL)
            lost.append(event.trial_id)

    run_dir = tmp_path / "run"
    try:
        result = sweep_into(run_dir, {**FOUR_TRIALS, "parallel": ON_RAY},
                        listeners=[remove_the_node_of_the_first_trial_to_finish_an_epoch])
    finally:
        while len(cluster.worker_nodes) < 2:  # the next test gets the cluster it expects
            cluster.add_node(num_cpus=1)
    assert lost
    assert result.status == "completed"
    assert set(result.trial_status.values()) == {"completed"} and len(result.trial_status) == 4
    warnings = [e.message for e in events_of(run_dir, LogLine) if e.level == "warning"]
    assert any(f"{lost[0]} continues from its last checkpoint" in w for w in warnings), warnings
    retried = [e.start_epoch for e in events_of(run_dir, TrialStarted) if e.trial_id == lost[0]]
    assert len(retried) == 2 and retried[0] == 1
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)


def test_without_ray_the_backend_is_one_line_saying_how_to_install_it(tiny_config_file, tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what find_spec reports for a package that is not there
    cfg = tiny_config_file(parallel=ON_RAY)
    assert main(["run", str(cfg), "--no-report"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'sweepdeck[ray]'" in err[0], err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("address", ["auto", "ray://head.example:10001", "10.0.0.5:6379", None])
def test_ray_addresses_that_are_accepted(address):
    assert validate_config({"parallel": {"backend": "ray", "address": address}}).parallel.address == address


@pytest.mark.parametrize("parallel, hint", [
    ({"backend": "ray", "address": "http://head:8265"}, '"ray://HOST:PORT" or "HOST:PORT"'),
    ({"backend": "slurm"}, "'local' or 'ray'"),
    ({"address": "auto"}, 'only used with parallel.backend "ray"'),
])
def test_bad_backend_settings_are_one_line(parallel, hint):
    from sweepdeck.engine.config import ConfigError

    with pytest.raises(ConfigError) as err:
        validate_config({"parallel": parallel})
    assert len(err.value.problems) == 1 and hint in err.value.problems[0]


@needs_ray
def test_the_driver_killed_then_resume_continues_on_the_cluster(cluster, tmp_path, finished_run):
    """kill -9 of the driver (the machine with the run folder) mid-sweep; `sweepdeck
    resume` connects again and ends with the numbers of an uninterrupted run.
    (About 18 s: two drivers that each import torch and join the cluster.)"""
    import subprocess
    import time

    raw = {**FOUR_TRIALS, "parallel": {**ON_RAY, "address": cluster.address}}
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(raw))
    run_dir = tmp_path / "run"
    cli = [sys.executable, "-m", "sweepdeck.engine.cli"]
    driver = subprocess.Popen([*cli, "run", str(cfg), "--run-dir", str(run_dir), "--no-report"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if (run_dir / store.EVENTS).exists() and events_of(run_dir, EpochMetrics):
            break
        time.sleep(0.05)
    assert driver.poll() is None, "the sweep ended before it could be killed"
    driver.kill()
    driver.wait()
    resumed = subprocess.run([*cli, "resume", str(run_dir), "--no-report"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert store.summarize_run(run_dir).status == "completed"
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)


@needs_ray
def test_a_model_factory_the_nodes_cannot_import_fails_its_trials_saying_so(cluster, driver_folder, tmp_path,
                                                                            monkeypatch):
    """The driver imports the factory from a folder on its own path only, so the
    nodes cannot: each trial fails saying what to do. A module of the same name in
    the driver's current folder, which Ray puts on the workers' path, never runs."""
    (tmp_path / "cluster_models.py").write_text(
        "from torch import nn\n"
        "def make(in_channels, n_outputs):\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 32 * 32, n_outputs))\n")
    ran = tmp_path / "the shadow module ran"
    (driver_folder / "cluster_models.py").write_text(f"open({str(ran)!r}, 'w').close()\ndef make(): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(driver_folder)
    run_dir = tmp_path / "run"
    result = sweep_into(run_dir, tiny_raw(model="cluster_models:make", lr=[0.01, 0.02], parallel=ON_RAY))
    assert set(result.trial_status.values()) == {"failed"}
    errors = [e.error for e in events_of(run_dir, TrialFinished)]
    assert len(errors) == 2
    assert all("cluster_models" in e and "importable on every node" in e for e in errors), errors
    assert not ran.exists()


@needs_ray
def test_a_node_loads_the_dataset_from_its_own_files_when_it_has_them(cluster, tmp_path):
    """dataset.root exists on the nodes (one machine here): each actor reads the files
    itself instead of the driver's copy, and the numbers are the local backend's."""
    from test_data import write_png

    for i in range(12):
        write_png(tmp_path / "images" / "cat" / f"c{i}.png", (10 * i, 40, 0))
        write_png(tmp_path / "images" / "dog" / f"d{i}.png", (0, 40, 10 * i))
    raw = tiny_raw(dataset={"name": "imagefolder", "root": str(tmp_path / "images")}, n_epochs=1, lr=[0.01, 0.02])
    local = sweep_into(tmp_path / "local", raw)
    on_ray = sweep_into(tmp_path / "ray", {**raw, "parallel": ON_RAY})
    assert local.status == on_ray.status == "completed"
    assert store.comparable_metrics(tmp_path / "ray") == store.comparable_metrics(tmp_path / "local")
    said = [e.message for e in events_of(tmp_path / "ray", LogLine) if "has the dataset from" in e.message]
    assert said and all(f"files at {tmp_path / 'images'}" in m for m in said), said



@needs_ray
def test_a_dry_run_plans_on_the_cluster_through_ray_client(cluster, client_port, tiny_config_file):
    """`ray://` (Ray Client, from a machine outside the cluster): the dry run connects
    and plans against the cluster's 2 CPUs, not this machine's cores."""
    cfg = tiny_config_file(lr=[0.01, 0.02, 0.03],
                           parallel={"backend": "ray", "address": f"ray://127.0.0.1:{client_port}"})
    out = subprocess.run([sys.executable, "-m", "sweepdeck.engine.cli", "run", str(cfg), "--dry-run"],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("parallel:"))
    assert "2 workers" in line and "on the Ray cluster" in line, line


@needs_ray
def test_a_sweep_through_ray_client_gives_the_local_numbers(cluster, client_port, tmp_path):
    """Ray Client cannot stream a generator's items: the actors' messages come back
    in batches of plain calls, which work through `ray://` as through a local driver."""
    raw = tiny_raw(n_epochs=1, lr=[0.01, 0.02])
    local = sweep_into(tmp_path / "local", raw)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**raw, "parallel": {**ON_RAY, "address": f"ray://127.0.0.1:{client_port}"}}))
    out = subprocess.run([sys.executable, "-m", "sweepdeck.engine.cli", "run", str(cfg), "--run-dir",
                          str(tmp_path / "client"), "--no-report"],
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-2000:]
    assert local.status == "completed"
    assert store.comparable_metrics(tmp_path / "client") == store.comparable_metrics(tmp_path / "local")
    assert json.loads((tmp_path / "client" / store.ENV).read_text())["ray"]["cpus"] == 2


@needs_ray
def test_ray_client_init_failures_are_retried_then_one_line_with_the_servers_reason(monkeypatch):
    """Ray Client's head sometimes fails to start a client's server on a busy machine
    (seen once in ~10 runs under load; not reproducible on demand, hence the stand-in):
    the connection is tried again, and a last failure quotes the server's last line,
    not Ray's bare heading."""
    import ray

    from sweepdeck.engine import ray_pool
    from sweepdeck.engine.errors import UsageError

    failure = ConnectionAbortedError("Initialization failure from server:\nTraceback ...\nRuntimeError: Server startup failed.")
    tries = []

    def init(**kw):
        tries.append(kw["address"])
        if len(tries) < 3:
            raise failure

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", init)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 2.0})
    monkeypatch.setattr(ray, "nodes", lambda: [{"Alive": True}])
    monkeypatch.setattr(ray_pool, "CLIENT_RETRY_S", 0.0)
    assert ray_pool.connect("ray://head:10001").cpus == 2 and len(tries) == 3

    tries.clear()
    monkeypatch.setattr(ray, "init", lambda **kw: (tries.append(1), (_ for _ in ()).throw(failure)))
    with pytest.raises(UsageError) as err:
        ray_pool.connect("ray://head:10001")
    assert len(tries) == ray_pool.CLIENT_ATTEMPTS
    assert "Initialization failure from server: RuntimeError: Server startup failed." in str(err.value)
