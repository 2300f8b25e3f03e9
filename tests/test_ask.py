"""`sweepdeck ask`: answers from the fact sheet through the real openai client and a local server."""

from __future__ import annotations

import json

import pytest

from sweepdeck.engine.ask import ASKS, read_history
from sweepdeck.engine.cli import main
from fake_llm_server import FakeLLM
from test_facts import hand_built

SECRET = "sk-test-SECRET0123456789abcdefXYZ"


@pytest.fixture
def run(tmp_path):
    return hand_built(tmp_path / "run")


@pytest.fixture(autouse=True)
def env(monkeypatch):
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SWEEPDECK_LLM_MODEL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def ask(run, url, question, *more):
    return main(["ask", str(run), question, "--base-url", url, "--model", "fake-model", "--timeout", "10", *more])


def test_answer_filled_from_facts_and_saved(run, capsys):
    reply = "The best trial is {{best.trial_id}} ({{best.label}}) with a best test accuracy of {{best.test_acc_best}}."
    with FakeLLM(default={"kind": "stream", "text": reply, "chunk": 4}) as srv:
        assert ask(run, srv.url, "which trial was best?") == 0
        sent = srv.chat_requests[0]["json"]["messages"]
    out = capsys.readouterr().out
    assert "The best trial is t001" in out and "best test accuracy of 86.00%" in out and "{{" not in out
    assert sent[0]["role"] == "system" and "t001" in sent[0]["content"]  # the fact sheet goes along
    assert sent[-1] == {"role": "user", "content": "which trial was best?"}
    [rec] = read_history(run)
    assert rec.question == "which trial was best?" and "86.00%" in rec.answer and "{{best.test_acc_best}}" in rec.answer_text
    assert SECRET[8:20] not in (run / ASKS).read_text()


def test_a_wrong_number_is_flagged_inline(run, capsys):
    with FakeLLM(default={"kind": "stream", "text": "t001 reached a best test accuracy of 91.30%."}) as srv:
        assert ask(run, srv.url, "how good was t001?") == 0
    out = capsys.readouterr().out
    assert "91.30% ⚠[1]" in out and "Fact check: ⚠[1]" in out and "86.00%" in out
    [rec] = read_history(run)
    assert rec.mismatches and rec.mismatches[0]["number"] == "91.30%"


def test_continue_sends_the_conversation_and_a_new_question_starts_another(run, capsys):
    with FakeLLM(default={"kind": "stream", "text": "It is {{best.trial_id}}."}) as srv:
        assert ask(run, srv.url, "which trial was best?") == 0
        assert ask(run, srv.url, "and its lr?", "--continue") == 0
        assert ask(run, srv.url, "something else") == 0
        follow_up = srv.chat_requests[1]["json"]["messages"]
        fresh = srv.chat_requests[2]["json"]["messages"]
    assert [m["role"] for m in follow_up] == ["system", "user", "assistant", "user"]
    assert follow_up[1]["content"] == "which trial was best?" and follow_up[2]["content"] == "It is {{best.trial_id}}."
    assert [m["role"] for m in fresh] == ["system", "user"]
    assert [r.conversation for r in read_history(run)] == [1, 1, 2]


def test_history_is_untrusted_input(run, capsys):
    (run / ASKS).write_text('{"not": "a record"}\nnot json at all\n' + json.dumps({
        "time": 1, "conversation": 4, "question": "q\x1b]0;pwned\x07?", "answer_text": "a\x1b[2J", "answer": "a"}) + "\n")
    with FakeLLM(default={"kind": "stream", "text": "Fine.\x1b[2J"}) as srv:
        assert ask(run, srv.url, "more?", "--continue") == 0
        sent = srv.chat_requests[0]["json"]["messages"]
    assert sent[1]["content"] == "q?" and sent[2]["content"] == "a"
    assert "\x1b" not in capsys.readouterr().out
    assert [r.conversation for r in read_history(run)] == [4, 4]


def test_without_an_llm_one_line_and_exit_2(run, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["ask", str(run), "which lr was best?"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sweepdeck: ask needs an LLM: no LLM configured")
    assert main(["ask", str(run), "   "]) == 2
    assert "the question is empty" in capsys.readouterr().err
    assert not (run / ASKS).exists()


def test_a_failing_server_is_one_line(run, capsys):
    with FakeLLM(default={"kind": "status", "status": 500, "message": "boom $AUTH"}) as srv:
        assert ask(run, srv.url, "which trial was best?") == 2
    err = capsys.readouterr().err
    # the fake server's own thread may print a traceback when a loaded machine makes the
    # client give up on a reply mid-way: only the command's lines count
    ours = [line for line in err.splitlines() if line.startswith("sweepdeck")]
    assert len(ours) == 1 and "HTTP 500" in ours[0] and SECRET not in err, err
