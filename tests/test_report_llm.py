"""The LLM path through the real openai client against a local OpenAI-compatible server.

Timeouts are sub-second and the server answers errors with `retry-after-ms: 10`,
so retries do not sleep for the client's default backoff.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pytest

from sweepdeck.engine.report import ReportSettings, add_report_options, generate_report, report_command
from fake_llm_server import FakeLLM, refused_url
from test_safe_text import PAYLOAD, control_chars
from test_facts import hand_built

SECRET = "sk-test-SECRET0123456789abcdefXYZ"

REPLY = """## Overview

The sweep ran {{run.n_trials}} trials. The best trial is {{best.trial_id}} with a best test accuracy of
{{best.test_acc_best}} at epoch {{best.test_acc_best_epoch}} (parameters: {{best.params}}).

## Top trials and best per experiment type

1. {{top.1.trial_id}}: best test accuracy {{top.1.test_acc_best}}
2. {{top.2.trial_id}}: best test accuracy {{top.2.test_acc_best}}

{{best_train.trial_id}} has the highest final train accuracy ({{best_train.train_acc_final}}) but a best test
accuracy of only {{best_train.test_acc_best}}.

## Parameter impact

Summation trials average {{type.Summation.test_acc_best_mean}} best test accuracy.

## Training dynamics and over/underfitting

t002 overfits: final train − test gap {{trial.t002.train_test_gap_final}}.

## Recommendations for the next sweep

1. Try lr ∈ [0.005, 0.02].
"""


@pytest.fixture
def run(tmp_path):
    return hand_built(tmp_path / "run")


@pytest.fixture(autouse=True)
def env(monkeypatch):
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SWEEPDECK_LLM_MODEL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def settings(url, **kw):
    base = dict(model="fake-model", base_url=url, timeout_s=2.0, max_retries=0, temperature=0.0)
    base.update(kw)
    return ReportSettings(**base)


def assert_no_key_anywhere(run: Path, *extra: str) -> None:
    frags = {SECRET, SECRET[3:], SECRET[-12:], SECRET[:14]}
    for p in run.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for f in frags:
                assert f.encode() not in data, f"API key fragment found in {p}"
    for text in extra:
        for f in frags:
            assert f not in (text or "")


def test_streamed_reply_placeholders_filled(run):
    chunks = []
    with FakeLLM(default={"kind": "stream", "text": REPLY, "chunk": 5}) as srv:
        res = generate_report(run, settings(srv.url), on_text=chunks.append)
        req = srv.chat_requests[0]
    assert res.used_llm and res.fallback_reason is None and res.model == "fake-model"
    assert req["json"]["stream"] is True and req["json"]["model"] == "fake-model"
    assert req["headers"].get("authorization") == f"Bearer {SECRET}"  # sent to the server, never written
    md = (run / "report.md").read_text()
    assert md == res.markdown
    assert "{{" not in md and "[unknown fact" not in md
    assert "The best trial is t001 with a best test accuracy of\n86.00% at epoch 3" in md
    assert "t002 has the highest final train accuracy (99.00%)" in md
    assert res.n_placeholders_filled >= 12 and res.mismatches == []
    # the code-written sections follow the model's text
    for section in ("## Results of all trials", "## Charts", "## Fact check"):
        assert section in md
    assert len(chunks) > 10 and "86.00%" in "".join(chunks) and "{{" not in "".join(chunks)
    prompt = (run / "report_prompt.md").read_text()
    assert "# System message" in prompt and "t001" in prompt
    assert (run / "facts.json").exists()
    assert_no_key_anywhere(run, res.markdown)


def test_non_streamed_reply(run):
    with FakeLLM(default={"kind": "json", "text": REPLY}) as srv:
        res = generate_report(run, settings(srv.url, stream=False))
        assert srv.chat_requests[0]["json"].get("stream") in (None, False)
    assert res.used_llm and "86.00%" in res.markdown and "{{" not in res.markdown


def test_429_then_success(run):
    script = [{"kind": "status", "status": 429, "message": "slow down"}]
    with FakeLLM(script, default={"kind": "stream", "text": REPLY}) as srv:
        res = generate_report(run, settings(srv.url, max_retries=2))
        assert len(srv.chat_requests) == 2
    assert res.used_llm


def test_500_until_fallback(run):
    with FakeLLM(default={"kind": "status", "status": 500, "message": "internal"}) as srv:
        res = generate_report(run, settings(srv.url, max_retries=2))
        assert len(srv.chat_requests) == 3  # the first try and the client's 2 retries
    assert not res.used_llm
    assert "HTTP 500" in res.fallback_reason
    md = (run / "report.md").read_text()
    assert "**Offline report**" in md and "HTTP 500" in md
    assert "## Parameter impact" in md and "## Fact check" in md


def test_hanging_server_times_out_quickly(run):
    t0 = time.monotonic()
    with FakeLLM(default={"kind": "hang"}) as srv:
        res = generate_report(run, settings(srv.url, timeout_s=0.4, max_retries=0))
    assert time.monotonic() - t0 < 5
    assert not res.used_llm and "timeout" in res.fallback_reason
    assert "**Offline report**" in res.markdown


def test_connection_refused(run):
    res = generate_report(run, settings(refused_url(), timeout_s=0.5, max_retries=0))
    assert not res.used_llm and "cannot connect" in res.fallback_reason


def test_malformed_reply(run):
    with FakeLLM(default={"kind": "malformed"}) as srv:
        res = generate_report(run, settings(srv.url, stream=False))
    assert not res.used_llm and "malformed" in res.fallback_reason
    with FakeLLM(default={"kind": "malformed", "body": b"data: {not json}\n\n", "content_type": "text/event-stream"}) as srv:
        res = generate_report(run, settings(srv.url))
    assert not res.used_llm and res.fallback_reason


def test_stream_that_breaks_off_falls_back(run):
    chunks = []
    with FakeLLM(default={"kind": "stream", "text": REPLY, "chunk": 20, "break_after": 3}) as srv:
        res = generate_report(run, settings(srv.url), on_text=chunks.append)
    assert not res.used_llm and res.fallback_reason
    shown = "".join(chunks)
    assert "The LLM failed" in shown and "## Parameter impact" in shown


def test_model_picked_from_the_server_when_not_given(run):
    with FakeLLM(default={"kind": "stream", "text": REPLY}, models=("qwen2.5:7b", "other")) as srv:
        res = generate_report(run, settings(srv.url, model=None))
        assert srv.chat_requests[0]["json"]["model"] == "qwen2.5:7b"
    assert res.used_llm and res.model == "qwen2.5:7b"


def test_local_server_needs_no_key(run, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with FakeLLM(default={"kind": "stream", "text": REPLY}) as srv:
        res = generate_report(run, settings(srv.url))
    assert res.used_llm


def test_wrong_numbers_and_unknown_placeholders_are_reported(run):
    text = REPLY + "\nThe best test accuracy overall was 99.00% (t002). Median: {{best.test_acc_median}}.\n"
    with FakeLLM(default={"kind": "stream", "text": text}) as srv:
        res = generate_report(run, settings(srv.url))
    assert res.used_llm
    assert len(res.mismatches) == 1 and res.mismatches[0]["number"] == "99.00%"
    assert res.unknown_placeholders == ["best.test_acc_median"]
    md = res.markdown
    fact_check = md[md.index("## Fact check"):]
    assert "99.00% ⚠[1]" in md and "did not match" in fact_check and "final train accuracy of" in fact_check and "(t002)" in fact_check
    assert "`best.test_acc_median`" in fact_check and "{{" not in md


def test_key_echoed_by_the_server_never_reaches_a_file(run):
    msg = f"Incorrect API key provided: {SECRET}. You can find your key at https://example"
    with FakeLLM(default={"kind": "status", "status": 401, "message": msg}) as srv:
        res = generate_report(run, settings(srv.url))
    assert not res.used_llm and "401" in res.fallback_reason
    assert_no_key_anywhere(run, res.fallback_reason, res.markdown)


def test_key_from_file(run, monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY")
    key_file = tmp_path / "key.txt"
    key_file.write_text(SECRET + "\n")
    with FakeLLM(default={"kind": "stream", "text": REPLY}) as srv:
        res = generate_report(run, settings(srv.url, api_key_file=str(key_file)))
        assert srv.chat_requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert res.used_llm
    assert_no_key_anywhere(run, res.markdown)


def test_a_server_that_trickles_forever_is_cut_off(run):
    t0 = time.monotonic()
    with FakeLLM(default={"kind": "stream", "text": REPLY, "chunk": 1, "delay": 0.05}) as srv:
        res = generate_report(run, settings(srv.url, timeout_s=0.15, max_retries=0))
    assert time.monotonic() - t0 < 5
    assert not res.used_llm and "took longer than" in res.fallback_reason


def test_llm_report_sections_come_in_the_offline_order(run):
    with FakeLLM(default={"kind": "stream", "text": REPLY}) as srv:
        md = generate_report(run, settings(srv.url)).markdown
    order = ["## Overview", "## Results of all trials", "## Top trials and best per experiment type", "## Parameter impact",
             "## Training dynamics and over/underfitting", "## Recommendations for the next sweep", "## Charts", "## Fact check"]
    pos = [md.index(h) for h in order]
    assert pos == sorted(pos)


def test_model_written_fact_check_and_charts_are_replaced(run):
    text = REPLY + "\n## Fact check\n\nAll numbers verified: 100% correct.\n\n## Charts\n\n(none)\n"
    with FakeLLM(default={"kind": "stream", "text": text}) as srv:
        res = generate_report(run, settings(srv.url))
    md = res.markdown
    assert md.count("## Fact check") == 1 and md.count("## Charts") == 1
    assert "100% correct" not in md and "“Fact check”, “Charts” sections were replaced" in md
    assert res.mismatches == []


# --- hardening: untrusted configs, answers and servers (issue 8) ------------------------------------

def share(run: Path, **llm) -> None:
    """The run folder as someone else shared it: its config's llm section says `llm`."""
    resolved = json.loads((run / "resolved.json").read_text())
    resolved["config"]["llm"] = {"model": "fake-model", "timeout_s": 2.0, "max_retries": 0, **llm}
    (run / "resolved.json").write_text(json.dumps(resolved))


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_report_options(p)
    return p.parse_args(list(argv))


def test_an_endpoint_named_only_by_a_config_gets_no_key_and_no_ambient_headers(run, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_ORG_ID", "org-ambient-1234")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Proxy-Auth: proxy-secret-5678")
    with FakeLLM(default={"kind": "stream", "text": REPLY}) as srv:
        share(run, base_url=srv.url)
        assert report_command(run, parse()) == 0
        sent = json.dumps(srv.chat_requests[0]["headers"])
    for secret in (SECRET, SECRET[-12:], "org-ambient-1234", "proxy-secret-5678"):
        assert secret not in sent
    err = capsys.readouterr().err
    assert "LLM report by fake-model" in err  # a config's endpoint still works, without the key
    assert "not sent" in err and f"--base-url {srv.url}" in err and "OPENAI_BASE_URL" in err
    assert not control_chars(err) and err.count("\n") == 2


def test_the_key_goes_to_an_endpoint_the_user_named(run, monkeypatch):
    with FakeLLM(default={"kind": "stream", "text": REPLY}) as srv:
        share(run, base_url=srv.url)
        assert report_command(run, parse("--base-url", srv.url)) == 0
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url.replace("/v1", "/other"))  # the same host and port
        assert report_command(run, parse()) == 0
        assert [r["headers"]["authorization"] for r in srv.chat_requests] == [f"Bearer {SECRET}"] * 2


def test_a_key_file_named_in_a_config(run, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("OPENAI_API_KEY")
    key_file = tmp_path / "key.txt"
    key_file.write_text(SECRET + "\n")
    key_file.chmod(0o600)
    with FakeLLM(default={"kind": "stream", "text": REPLY}) as srv:
        # the config names the endpoint and the key file: the key stays here
        share(run, base_url=srv.url, api_key_file=str(key_file))
        assert report_command(run, parse()) == 0
        # the user named the endpoint: the config's key file, having passed the checks, is used
        assert report_command(run, parse("--base-url", srv.url)) == 0
        assert [r["headers"].get("authorization") for r in srv.chat_requests] == [None, f"Bearer {SECRET}"]
        # a config cannot make any other file the key: nothing is sent, and nothing of it is shown
        share(run, base_url=srv.url, api_key_file="/etc/passwd")
        assert report_command(run, parse("--base-url", srv.url)) == 0
        assert len(srv.chat_requests) == 2
    err = capsys.readouterr().err
    assert "llm.api_key_file /etc/passwd" in err and "offline report" in err
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0]
    assert passwd_line not in err and passwd_line not in (run / "report.md").read_text()


def test_escape_sequences_from_the_model_reach_neither_the_terminal_nor_the_file(run):
    text = REPLY.replace("## Parameter impact\n", f"## Parameter impact {PAYLOAD}\n\n<script>alert(1)</script>\n"
                                                  "[more](javascript:alert(1))\n")
    chunks = []
    with FakeLLM(default={"kind": "stream", "text": text, "chunk": 3}) as srv:  # sequences split across chunks
        res = generate_report(run, settings(srv.url), on_text=chunks.append)
    md = (run / "report.md").read_text()
    assert res.used_llm and "## Parameter impact link" in md
    for shown in ("".join(chunks), md):
        assert not control_chars(shown)
    assert "<script" not in md and "javascript:" not in md and "&lt;script>alert(1)&lt;/script>" in md


def test_escape_sequences_in_a_server_error_are_not_printed(run, capsys):
    with FakeLLM(default={"kind": "status", "status": 500, "message": f"bad {PAYLOAD} gateway"}) as srv:
        share(run, base_url=srv.url)
        assert report_command(run, parse("--base-url", srv.url)) == 0
    err = capsys.readouterr().err
    assert "HTTP 500" in err and "bad link gateway" in err
    assert not control_chars(err) and not control_chars((run / "report.md").read_text())


def test_a_key_echoed_in_the_answer_is_redacted_from_everything_shown_or_written(run, capsys):
    text = REPLY + "\nFor the record, your key is $AUTH (keep it safe).\n"
    chunks = []
    with FakeLLM(default={"kind": "stream", "text": text, "chunk": 4}) as srv:  # the key arrives in pieces
        res = generate_report(run, settings(srv.url), on_text=chunks.append)
        assert srv.chat_requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert res.used_llm and "your key is [key]" in res.markdown
    assert_no_key_anywhere(run, "".join(chunks), res.markdown)
    with FakeLLM(default={"kind": "json", "text": text}) as srv:  # the CLI, not streamed
        share(run, base_url=srv.url)
        assert report_command(run, parse("--base-url", srv.url)) == 0
    out = capsys.readouterr()
    assert_no_key_anywhere(run, out.out, out.err)


def test_a_partial_answer_echoing_the_key_is_redacted(run):
    text = "## Overview\n\nYour key: $AUTH. " + REPLY
    chunks = []
    with FakeLLM(default={"kind": "stream", "text": text, "chunk": 5, "break_after": 12}) as srv:
        res = generate_report(run, settings(srv.url), on_text=chunks.append)
    assert not res.used_llm and "Your key: [key]" in "".join(chunks)
    assert_no_key_anywhere(run, "".join(chunks), res.markdown, res.fallback_reason)


def test_a_huge_answer_is_cut_and_the_report_says_so(run):
    huge = REPLY + "More text, and t001 reached 86.00% once more. " * 110_000  # about 5 MB
    chunks = []
    with FakeLLM(default={"kind": "stream", "text": huge, "chunk": 4096}) as srv:
        res = generate_report(run, settings(srv.url), on_text=chunks.append)
        assert srv.chat_requests[0]["json"]["max_tokens"] == 4096
    assert res.used_llm and res.mismatches == []
    assert (run / "report.md").stat().st_size < 200_000 and len("".join(chunks)) < 200_000
    assert "was cut" in res.markdown and "65536 characters" in res.markdown
    with FakeLLM(default={"kind": "json", "text": huge}) as srv:  # not streamed: read whole, then cut
        res = generate_report(run, settings(srv.url, stream=False))
    assert res.used_llm and len(res.markdown) < 200_000 and "was cut" in res.markdown


def test_max_tokens_comes_from_the_config_and_a_stop_at_the_limit_is_reported(run, capsys):
    with FakeLLM(default={"kind": "stream", "text": REPLY, "finish": "length"}) as srv:
        share(run, base_url=srv.url, max_tokens=1000)
        assert report_command(run, parse("--base-url", srv.url)) == 0
        assert srv.chat_requests[0]["json"]["max_tokens"] == 1000
    md = (run / "report.md").read_text()
    assert "was cut" in md and "limit of 1000 tokens" in md
    assert "limit of 1000 tokens" in capsys.readouterr().err


@pytest.mark.parametrize("chunked", [False, True])
def test_a_stream_cut_midway_says_it_broke_off(run, chunked):
    with FakeLLM(default={"kind": "stream", "text": REPLY, "chunk": 20, "break_after": 3, "chunked": chunked}) as srv:
        res = generate_report(run, settings(srv.url))
    assert not res.used_llm
    assert "broke off after 60 characters" in res.fallback_reason and "cannot connect" not in res.fallback_reason


def test_a_401_from_an_endpoint_the_key_was_withheld_from_says_how_to_send_it(run, capsys):
    with FakeLLM(default={"kind": "status", "status": 401, "message": "a key, please"}) as srv:
        share(run, base_url=srv.url)
        assert report_command(run, parse()) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HTTP 401" in err and "none was sent" in err and "rejected" not in err
    assert f"pass --base-url {srv.url}" in err
