"""A full disk and a read-only filesystem, for real: a small tmpfs filled to several
levels (issue 8, item 7). Each ends with one line saying what to do, leaves no temp
file or lock behind, and the run is resumed (or rerun) once space is back."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FOUR_TRIALS, interrupted_copy
from sweepdeck.engine import store

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
FS_SIZE = 1024 * 1024


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_fs(tmp_path):
    """A 1 MiB tmpfs of our own (needs root, as in CI)."""
    where = tmp_path / "fs"
    where.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={FS_SIZE}", "tmpfs", str(where)):
        pytest.skip("mounting a small tmpfs needs root and mount rights; neither loop devices nor tmpfs are usable here")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sweepdeck.engine.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def _fill(fs: Path, leave_free: int) -> Path:
    filler = fs / "filler"
    st = os.statvfs(fs)
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave_free))
    return filler


def _the_one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    mine = [ln for ln in proc.stderr.splitlines() if ln.startswith("sweepdeck:")]
    assert len(mine) == 1, proc.stderr
    return mine[0]


def _leftovers(fs: Path) -> list[str]:
    return [str(p.relative_to(fs)) for p in fs.rglob("*")
            if p.name.startswith(".") or p.name == store.LOCK]


@pytest.mark.parametrize("leave_free", [0, 48 * 1024, 136 * 1024])
def test_a_full_disk_ends_with_one_line_and_the_run_resumes(small_fs, tmp_path, finished_run, leave_free):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(FOUR_TRIALS))
    filler = _fill(small_fs, leave_free)
    run_dir = small_fs / "run"

    failed = _cli("run", str(cfg), "--run-dir", str(run_dir), "--no-report")
    assert failed.returncode == 1, failed.stderr
    line = _the_one_error_line(failed)
    assert "disk full" in line
    assert _leftovers(small_fs) == []

    filler.unlink()
    if (run_dir / store.CONFIG).exists():
        assert f"sweepdeck resume {run_dir}" in line
        again = _cli("resume", str(run_dir), "--no-report")
    else:
        assert "nothing was recorded" in line and "run again" in line
        again = _cli("run", str(cfg), "--run-dir", str(run_dir), "--no-report")
    assert again.returncode == 0, again.stderr
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)


def test_a_read_only_filesystem_ends_with_one_line_and_changes_nothing(small_fs, tmp_path, finished_run):
    run_dir = interrupted_copy(finished_run, small_fs)
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert _mount("-o", "remount,ro", str(small_fs))

    refused = _cli("resume", str(run_dir), "--no-report")
    assert refused.returncode == 1
    line = _the_one_error_line(refused)
    assert "read-only" in line and f"sweepdeck resume {run_dir}" in line
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before

    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({**FOUR_TRIALS, "runs_dir": str(small_fs / "runs")}))
    fresh = _cli("run", str(cfg), "--no-report")  # a runs_dir that cannot be written is bad input
    assert fresh.returncode == 2 and "Read-only file system" in _the_one_error_line(fresh)

    assert _mount("-o", "remount,rw", str(small_fs))
    assert _cli("resume", str(run_dir), "--no-report").returncode == 0
    assert store.comparable_metrics(run_dir) == store.comparable_metrics(finished_run)
