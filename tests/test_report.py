"""The offline report, settings resolution, the CLI entry point and the prompt."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sweepdeck.engine.analysis.facts import build_facts
from sweepdeck.engine.analysis.prompt import SYSTEM_FILE, build_prompt, load_template
from tests.support.synthetic import make_run, paper_config
from sweepdeck.engine.report import (ReportSettings, add_report_options, generate_report, llm_plan, report_command,
                           report_flags)
from test_facts import hand_built

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["## Overview", "## Results of all trials", "## Top trials and best per experiment type", "## Parameter impact",
            "## Training dynamics and over/underfitting", "## Recommendations for the next sweep", "## Charts", "## Fact check"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SWEEPDECK_LLM_MODEL", "SWEEPDECK_PROMPTS_DIR"):
        monkeypatch.delenv(k, raising=False)


def parse(*argv):
    p = argparse.ArgumentParser()
    add_report_options(p)
    return p.parse_args(list(argv))


def flags(*argv):
    return report_flags(parse(*argv))


# --- the offline report ---------------------------------------------------------------------------------

def test_offline_report_has_every_section_and_reads_as_an_analysis(tmp_path):
    run = make_run(tmp_path / "r", paper_config(n_lr=2), diverge={"t004": 6})
    chunks = []
    res = generate_report(run, ReportSettings(offline=True), on_text=chunks.append)
    md = (run / "report.md").read_text()
    assert res.path == run / "report.md" and not res.used_llm and res.fallback_reason == "--offline was given"
    assert "".join(chunks) == md
    pos = [md.index(s) for s in SECTIONS]
    assert pos == sorted(pos)
    assert "**Offline report**" in md and "--offline was given" in md
    fs = build_facts(run)
    best = fs.top[0]
    assert f"the best trial is **{best}**" in md
    assert "Not varied" in md and "batchsize=64" in md
    assert "`lr` ∈ [" in md or "`l2_sum_lambda` ∈ [" in md  # a concrete range for the next sweep
    assert "t004 diverged" in md.replace("**", "")
    assert "```text" in md and "Test accuracy (%) per epoch" in md  # plotext chart as text
    assert "\x1b[" not in md  # no terminal colour codes
    assert res.mismatches == [] and res.n_numbers_checked > 50
    assert "all match" in md[md.index("## Fact check"):]
    assert not (run / "report_prompt.md").exists()


def test_offline_report_is_deterministic(tmp_path):
    run = make_run(tmp_path / "r", paper_config())
    a = generate_report(run, ReportSettings(offline=True)).markdown
    b = generate_report(run, ReportSettings(offline=True)).markdown
    strip = lambda s: s.split("\n", 3)[3]  # the title line carries the time of writing
    assert strip(a) == strip(b)


def test_offline_report_without_results_or_train_accuracy(tmp_path):
    run = make_run(tmp_path / "r", paper_config(), statuses={f"t00{i}": "pending" for i in range(6)})
    md = generate_report(run, ReportSettings(offline=True)).markdown
    assert "No trial has recorded an epoch yet" in md
    run2 = make_run(tmp_path / "r2", paper_config(), eval_train_set=False)
    md2 = generate_report(run2, ReportSettings(offline=True)).markdown
    assert "Train accuracy was not recorded" in md2


def test_png_charts_only_with_matplotlib(tmp_path):
    run = make_run(tmp_path / "r", paper_config())
    md = generate_report(run, ReportSettings(offline=True)).markdown
    try:
        import matplotlib  # noqa: F401
        assert (run / "charts" / "test_acc.png").exists() and "![charts/test_acc.png]" in md
    except ImportError:
        assert not (run / "charts").exists() and "when matplotlib is installed" in md


# --- when is the LLM used, and with what settings -------------------------------------------------------

def test_settings_precedence_flags_over_config_over_env():
    env = {"SWEEPDECK_LLM_MODEL": "env-model", "OPENAI_BASE_URL": "http://env/v1"}
    cfg = {"model": "cfg-model", "base_url": None, "temperature": 0.5, "timeout_s": 30, "max_retries": 1}
    s = ReportSettings.resolve(flags("--model", "flag-model", "--timeout", "5"), cfg, env)
    assert (s.model, s.base_url, s.timeout_s, s.temperature, s.max_retries) == ("flag-model", "http://env/v1", 5, 0.5, 1)
    s = ReportSettings.resolve(flags(), cfg, env)
    assert s.model == "cfg-model" and s.timeout_s == 30
    s = ReportSettings.resolve(flags(), None, env)
    assert s.model == "env-model" and s.timeout_s == 60 and s.max_retries == 2
    assert ReportSettings.resolve(flags("--offline"), None, {}).offline


def test_settings_from_a_run_folders_config(tmp_path):
    run = make_run(tmp_path / "r", {**paper_config(), "llm": {"model": "qwen2.5:7b", "base_url": "http://localhost:11434/v1",
                                                               "timeout_s": 12}})
    s = ReportSettings.for_run(run, flags("--temperature", "0"))
    assert (s.model, s.base_url, s.timeout_s, s.temperature) == ("qwen2.5:7b", "http://localhost:11434/v1", 12, 0)


def test_llm_plan():
    assert "no LLM configured" in llm_plan(ReportSettings(), {})[0]
    assert "OPENAI_API_KEY" in llm_plan(ReportSettings(model="gpt-4o-mini"), {})[0]  # OpenAI's URL needs a key
    assert llm_plan(ReportSettings(model="gpt-4o-mini"), {"OPENAI_API_KEY": "sk-x"})[:2] == (None, "sk-x")
    assert llm_plan(ReportSettings(base_url="http://localhost:11434/v1"), {})[:2] == (None, None)  # Ollama: no key
    assert "no model given" in llm_plan(ReportSettings(base_url="https://api.openai.com/v1"), {"OPENAI_API_KEY": "k"})[0]
    assert llm_plan(ReportSettings(model="m", offline=True), {"OPENAI_API_KEY": "k"})[0] == "--offline was given"
    assert "cannot read api_key_file" in llm_plan(ReportSettings(model="m", api_key_file="/nonexistent/key"), {})[0]


def test_settings_remember_where_each_came_from():
    env = {"OPENAI_BASE_URL": "http://env/v1"}
    s = ReportSettings.resolve(flags("--model", "m"), {"api_key_file": "~/k", "timeout_s": 5}, env)
    assert s.origins == {"model": "flag", "base_url": "env", "temperature": "default", "timeout_s": "config",
                         "max_retries": "default", "max_tokens": "default", "api_key_file": "config"}
    assert s.from_config("api_key_file") and not s.from_config("base_url")
    assert ReportSettings.resolve(flags("--max-tokens", "100"), {"max_tokens": 50}, {}).max_tokens == 100
    assert ReportSettings.resolve(flags(), {"max_tokens": 50}, {}).max_tokens == 50


@pytest.mark.parametrize("argv, cfg_url, env_url, sent", [
    ((), "http://collector.example:8000/v1", None, False),              # a config alone names the host
    ((), "http://api.openai.com/v1", None, False),                      # OpenAI's host, but in clear text
    ((), "https://api.openai.com.evil.example/v1", None, False),
    ((), "https://api.openai.com@evil.example/v1", None, False),
    ((), "https://api.openai.com/v1", None, True),                      # OpenAI's own endpoint
    ((), None, None, True),                                             # the default: OpenAI's
    (("--base-url", "http://gpu-box:8000/v1"), "http://collector.example/v1", None, True),  # the user's flag wins
    ((), "http://gpu-box:8000/v2", "http://gpu-box:8000/v1", True),     # the user named that host in the environment
    ((), "http://gpu-box:9000/v1", "http://gpu-box:8000/v1", False),    # another port is another server
    ((), None, "http://gpu-box:8000/v1", True),
])
def test_the_env_key_goes_only_to_endpoints_the_user_chose(argv, cfg_url, env_url, sent):
    env = {"OPENAI_API_KEY": "sk-env-key-123456"} | ({"OPENAI_BASE_URL": env_url} if env_url else {})
    plan = llm_plan(ReportSettings.resolve(flags(*argv), {"model": "m", "base_url": cfg_url}, env), env)
    assert plan.reason is None
    assert plan.key == ("sk-env-key-123456" if sent else None) and plan.ambient == sent
    if not sent:
        assert "not sent" in plan.notes[0] and "--base-url" in plan.notes[0] and "sk-env" not in plan.notes[0]


def key_file(tmp_path, content, mode=0o600):
    path = tmp_path / "key"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    path.chmod(mode)
    return str(path)


@pytest.mark.parametrize("content, problem", [
    ("sk-good-key_0123456789\n\n", None),
    ("eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl==\n", None),                      # a JWT: dots, base64url, padding
    ("", "is empty"),
    ("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin\n", "does not look like an API key"),
    ("machine host login me password hunter2\n", "does not look like an API key"),
    ("https://me:ghp_token@github.com\n", "does not look like an API key"),
    (b"\xff\xfe\x00binary", "does not look like an API key"),
    ("k" * 5000, "is 5000 bytes"),
])
def test_key_files_must_look_like_a_key_and_are_never_echoed(tmp_path, content, problem):
    from sweepdeck.engine.llm import read_key_file

    for named_in_config in (False, True):
        found = read_key_file(key_file(tmp_path, content), named_in_config=named_in_config)
        if problem is None:
            assert found.key == content.strip() and found.problem is None and found.warnings == []
        else:
            assert found.key is None and problem in found.problem
            for secret in ("x:0:0", "hunter2", "ghp_token", "kkkkkkkk", "binary"):
                assert secret not in found.problem
            assert found.problem.startswith("llm.api_key_file" if named_in_config else "api_key_file")


def test_a_key_file_of_another_user_only_from_the_command_line(tmp_path, monkeypatch):
    from sweepdeck.engine import llm

    path = key_file(tmp_path, "sk-good-key_0123456789")
    monkeypatch.setattr(llm.os, "getuid", lambda: os.stat(path).st_uid + 1)
    assert "belongs to another user" in llm.read_key_file(path, named_in_config=True).problem
    assert llm.read_key_file(path, named_in_config=False).key == "sk-good-key_0123456789"


def test_a_key_file_others_can_read_gives_a_warning(tmp_path):
    from sweepdeck.engine.llm import read_key_file

    found = read_key_file(key_file(tmp_path, "sk-good-key_0123456789", 0o644), named_in_config=False)
    assert found.key == "sk-good-key_0123456789"
    assert "can be read by other users (mode 644)" in found.warnings[0] and "chmod 600" in found.warnings[0]
    plan = llm_plan(ReportSettings(model="m", api_key_file=str(tmp_path / "key")), {})
    assert plan.key == "sk-good-key_0123456789" and "chmod 600" in plan.notes[0]


def test_a_fifo_or_folder_as_key_file_is_refused_without_hanging(tmp_path):
    from sweepdeck.engine.llm import read_key_file

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "not a regular file" in read_key_file(str(fifo), named_in_config=True).problem
    assert "not a regular file" in read_key_file(str(tmp_path), named_in_config=False).problem


def test_a_key_file_named_in_a_config_is_not_read_for_an_endpoint_it_names(tmp_path):
    cfg = {"model": "m", "base_url": "http://collector.example/v1", "api_key_file": str(tmp_path / "missing")}
    plan = llm_plan(ReportSettings.resolve(flags(), cfg, {}), {})
    assert plan.reason is None and plan.key is None and "not sent" in plan.notes[0]


def test_no_key_gives_the_offline_report_with_the_reason(tmp_path):
    run = make_run(tmp_path / "r", paper_config())
    res = generate_report(run, ReportSettings(model="gpt-4o-mini"))
    assert not res.used_llm and "OPENAI_API_KEY" in res.fallback_reason
    assert "OPENAI_API_KEY" in (run / "report.md").read_text()


# --- the CLI entry point --------------------------------------------------------------------------------

def test_report_command(tmp_path, capsys):
    run = hand_built(tmp_path / "run")
    assert report_command(run, parse("--offline")) == 0
    out = capsys.readouterr()
    assert out.out.strip() == str(run / "report.md")
    assert report_command(run, parse()) == 0
    assert "offline report: no LLM configured" in capsys.readouterr().err


def report_exit(run, *flags: str) -> int:
    """`sweepdeck report RUN FLAGS` as the CLI runs it: errors become one line and an exit code."""
    from sweepdeck.engine.cli import main

    return main(["report", str(run), *flags])


def test_report_command_bad_input(tmp_path, capsys):
    no_facts = tmp_path / "no-facts"
    no_facts.mkdir()
    (no_facts / "config.json").write_text("{}")
    assert report_exit(no_facts, "--offline") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "resolved.json" in err
    run = hand_built(tmp_path / "run")
    assert report_exit(run, "--timeout", "0") == 2
    assert "--timeout" in capsys.readouterr().err
    assert report_exit(run, "--max-tokens", "0") == 2
    assert "--max-tokens must be a positive number" in capsys.readouterr().err
    resolved = json.loads((run / "resolved.json").read_text())
    resolved["config"]["llm"]["max_tokens"] = -3  # a shared run folder's config
    (run / "resolved.json").write_text(json.dumps(resolved))
    assert report_exit(run) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid report setting llm.max_tokens: Input should be greater than 0" in err


def test_importing_the_report_module_stays_light():
    code = "import sys, sweepdeck.engine.report; print(sorted(m for m in ('pandas', 'openai', 'plotext') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the prompt ---------------------------------------------------------------------------------------

def test_the_shipped_prompts_are_found_from_any_folder(tmp_path, monkeypatch):
    """The templates exist once, as files; nothing embeds a second copy."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SWEEPDECK_PROMPTS_DIR", raising=False)
    text, where = load_template(SYSTEM_FILE)
    assert text == (ROOT / "prompts" / SYSTEM_FILE).read_text() and where.endswith(SYSTEM_FILE)


def test_prompt_grows_with_trials_not_epochs(tmp_path):
    short = build_facts(make_run(tmp_path / "a", paper_config(n_lr=3, n_seeds=2, n_epochs=25)))
    long = build_facts(make_run(tmp_path / "b", paper_config(n_lr=3, n_seeds=2, n_epochs=250)))
    s1, u1, _ = build_prompt(short)
    s2, u2, _ = build_prompt(long)
    assert len(short.trials) == 36
    size = len(s2) + len(u2)
    assert size < 32_000  # under 8k tokens at ~4 characters per token
    # 10x the epochs: no more lines, only other flags and digits
    assert size < 1.25 * (len(s1) + len(u1))


def test_prompts_are_editable(tmp_path, monkeypatch):
    d = tmp_path / "prompts"
    d.mkdir()
    (d / "report_system.md").write_text("Be terse. Sections:\n$sections\n")
    (d / "report_user.md").write_text("Sweep $run_id.\n$fact_sheet\n")
    monkeypatch.setenv("SWEEPDECK_PROMPTS_DIR", str(d))
    fs = build_facts(make_run(tmp_path / "r", paper_config()))
    system, user, sources = build_prompt(fs)
    assert system.startswith("Be terse.") and "## Overview" in system
    assert user.startswith("Sweep r.") and "t000" in user
    assert sources[0] == str(d / "report_system.md")


def test_png_code_path_with_a_stand_in_matplotlib(tmp_path, monkeypatch):
    """matplotlib is not a dependency; a stand-in module checks our side of the calls."""
    import types

    calls = []

    class Ax:
        def __getattr__(self, name):
            return lambda *a, **k: calls.append(name)

    class Fig:
        def tight_layout(self):
            calls.append("tight_layout")

        def savefig(self, buf, format, dpi):
            buf.write(b"\x89PNG fake")

    pyplot = types.ModuleType("matplotlib.pyplot")
    pyplot.subplots = lambda rows, cols, figsize, squeeze: (Fig(), [[Ax() for _ in range(cols)]])
    pyplot.close = lambda fig: calls.append("close")
    mpl = types.ModuleType("matplotlib")
    mpl.use = lambda backend: calls.append(f"use:{backend}")
    mpl.pyplot = pyplot
    monkeypatch.setitem(sys.modules, "matplotlib", mpl)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    run = make_run(tmp_path / "r", paper_config())
    md = generate_report(run, ReportSettings(offline=True)).markdown
    assert (run / "charts" / "test_acc.png").read_bytes().startswith(b"\x89PNG")
    assert (run / "charts" / "loss.png").exists()
    assert "![charts/test_acc.png](charts/test_acc.png)" in md and "use:Agg" in calls and "plot" in calls


def test_unwritable_report_is_a_one_line_error(tmp_path, capsys):
    run = make_run(tmp_path / "r", paper_config())
    (run / "report.md").mkdir()  # nothing can be written there (chmod does not stop root)
    assert report_exit(run, "--offline") == 2
    err = capsys.readouterr().err
    assert "cannot write the report" in err and "Traceback" not in err and err.count("\n") == 1
