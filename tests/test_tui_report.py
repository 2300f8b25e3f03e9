"""Report: report.md and its fact check, regeneration streamed live, and what
reaches the screen from a shared run folder or an LLM."""

from __future__ import annotations

import threading
import time
import types
from pathlib import Path

import pytest

from test_safe_text import PAYLOAD, control_chars
from tests.support.tui import fake_report_engine, make_app, runs_table, wait_for

pytestmark = pytest.mark.anyio


def test_fact_check_section_and_result_note():
    from sweepdeck.tui.screens.report import fact_check_section, result_note

    md = "# R\n\n## Results\nx\n\n## Fact check\nChecked 3 numbers.\n### Details\n1. bad\n\n## After\ny\n"
    assert fact_check_section(md) == "Checked 3 numbers.\n### Details\n1. bad"
    assert fact_check_section("# R\nno section") is None
    res = types.SimpleNamespace(used_llm=False, fallback_reason="no LLM configured", n_numbers_checked=12,
                                mismatches=[{}], model=None)
    assert result_note(res) == "offline (no LLM configured); fact check: 12 numbers, 1 mismatch"


async def test_report_opens_shows_fact_check_and_regenerates_streaming(runs, monkeypatch):
    runs_dir, made = runs
    chunks = ["# Sweep report: alpha\n\n", "Best trial t003 with ", "test accuracy 85.70%.\n\n",
              "## Fact check\nChecked 1 number; none differ.\n"]

    class ReportSettings:
        def __init__(self, offline, model=None, base_url=None, temperature=0.2, timeout_s=60.0, max_retries=2,
                     api_key_file=None):
            self.offline = offline

    calls = []

    def generate_report(run_dir, settings, on_text=None):
        calls.append(settings.offline)
        for c in chunks:
            on_text(c)
            time.sleep(0.05)
        (Path(run_dir) / "report.md").write_text("".join(chunks))
        return types.SimpleNamespace(path=Path(run_dir) / "report.md")

    fake_report_engine(monkeypatch, ReportSettings, generate_report)

    app = make_app(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await runs_table(pilot, app)
        table.move_cursor(row=table.get_row_index("20260101-120000-alpha"))
        await pilot.press("r")
        await wait_for(pilot, lambda: app.current_mode == "report")
        rep = app.screen
        await wait_for(pilot, lambda: "Checked 4 numbers" in str(rep.query_one("#factcheck").render()))
        assert "Sweep report: alpha" in rep.text
        # regenerate offline: streams in, then the file is reloaded
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("o")
        await wait_for(pilot, lambda: calls == [True] and not rep.streaming)
        await wait_for(pilot, lambda: "none differ" in str(rep.query_one("#factcheck").render()))
        assert rep.text == "".join(chunks)
        # $PAGER runs through app.suspend (stubbed here)
        seen = []
        monkeypatch.setattr(app, "run_external", lambda argv: seen.append(argv) or 0)
        monkeypatch.setenv("PAGER", "less -R")
        await pilot.press("v")
        assert seen == [["less", "-R", str(made["alpha"] / "report.md")]]


async def test_report_without_file_and_failing_generator(runs, monkeypatch):
    runs_dir, made = runs

    class ReportSettings:
        def __init__(self, **kw):
            pass

    def generate_report(run_dir, settings, on_text=None):
        raise RuntimeError("LLM unreachable")

    fake_report_engine(monkeypatch, ReportSettings, generate_report)

    app = make_app(runs_dir, attach=made["beta"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.current_mode == "report")
        rep = app.screen
        assert "no report.md yet" in str(rep.query_one("#report-title").render())
        await pilot.press("g", "l")
        await wait_for(pilot, lambda: "report failed" in str(rep.query_one("#report-title").render()))
        assert not rep.streaming
        # a report.md written meanwhile (by the runner) is picked up
        (made["beta"] / "report.md").write_text("# Late report\n\n## Fact check\nChecked 0 numbers.\n")
        await wait_for(pilot, lambda: "Late report" in rep.text, timeout=5)
        await wait_for(pilot, lambda: "Checked 0 numbers" in str(rep.query_one("#factcheck").render()))


async def test_report_regenerate_offline_with_the_real_engine(runs):
    runs_dir, made = runs
    pytest.importorskip("sweepdeck.engine.report").generate_report  # noqa: B018

    app = make_app(runs_dir, attach=made["beta"])  # beta has no report yet
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.current_mode == "report")
        rep = app.screen
        await pilot.press("g", "o")
        await wait_for(pilot, lambda: (made["beta"] / "report.md").exists() and not rep.streaming, timeout=20)
        await wait_for(pilot, lambda: rep.shown_text == rep.text and "Fact check" in rep.text)
        assert "numbers" in str(rep.query_one("#factcheck").render())


async def test_report_section_shows_no_escape_sequences_and_opens_only_web_links(runs, monkeypatch):
    """report.md comes from a shared run folder and the streamed text from an LLM."""
    runs_dir, made = runs
    payload = PAYLOAD
    (made["alpha"] / "report.md").write_text(f"# Report {payload}\n\n## Fact check\nChecked {payload} 2 numbers.\n")

    class ReportSettings:
        def __init__(self, **kw):
            pass

    proceed = threading.Event()

    def generate_report(run_dir, settings, on_text=None):
        text = f"# Streamed {payload} text\n"
        for i in range(0, len(text), 3):  # every sequence split across messages
            on_text(text[i:i + 3])
        proceed.wait(10)  # until the test has seen the streamed text: failing reloads report.md
        raise RuntimeError(f"server said {payload}")

    fake_report_engine(monkeypatch, ReportSettings, generate_report)

    app = make_app(runs_dir, attach=made["alpha"])
    opened, notes = [], []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.current_mode == "report")
        rep = app.screen
        await wait_for(pilot, lambda: rep.shown_text is not None and "Report" in rep.shown_text)
        assert rep.shown_text.startswith("# Report link") and not control_chars(rep.shown_text)
        assert not control_chars(rep.query_one("#factcheck").render())
        await pilot.press("g", "l")
        await wait_for(pilot, lambda: rep.shown_text is not None and "Streamed" in rep.shown_text)
        assert not control_chars(rep.shown_text) and "Streamed link text" in rep.shown_text
        proceed.set()
        await wait_for(pilot, lambda: any("Report failed" in n for n in notes))
        assert "server said link" in notes[-1] and not control_chars(notes[-1])
        md = rep.query_one("#report-md")
        for href in ("javascript:alert(1)", "file:///etc/passwd", "https://example.com/x"):
            rep.post_message(md.LinkClicked(md, href))
        await pilot.pause()
        await wait_for(pilot, lambda: opened)
        assert opened == ["https://example.com/x"]


# --- the report laid out for the pane -------------------------------------------------------------

WIDE = """# R

| Trial | Rank | Type | lr | Status | Best test acc (epoch) | Final test acc | Train−test gap |
|---|---|---|---|---|---|---|---|
| t000 | 2 | Summation | 0.1 | completed | 84.62% (8) | 84.17% | 5.95 pp |
| t001 | 1 | Multiplication | 0.01 | completed | 87.51% (10) | 86.85% | 5.35 pp |

```text
| not | a | table |
|---|---|---|
```

**Test loss per epoch**

```text
a chart 78 columns wide
```
"""


def test_wide_tables_are_narrowed_without_cutting_a_value_and_charts_swapped():
    from sweepdeck.tui.report_layout import fit_report, split_row, table_width

    assert fit_report(WIDE, 200) == WIDE  # it fits: as written
    out = fit_report(WIDE, 60, {"Test loss per epoch": "a chart 50 wide"})
    tables, current = [], None
    for line in out.split("\n"):
        if line.startswith("| ") and current is None and "not" not in line:
            current = [split_row(line)]
            tables.append(current)
        elif line.startswith("|") and current is not None:
            if not line.startswith("|---"):
                current.append(split_row(line))
        else:
            current = None
    assert len(tables) >= 2 and all(t[0][0] == "Trial" for t in tables)  # each repeats the trial
    for t in tables:
        needs = [max(len(row[c]) for row in t) for c in range(len(t[0]))]
        assert table_width(needs) <= 60
    cells = {c for t in tables for row in t for c in row}
    for value in ("Summation", "Multiplication", "84.62% (8)", "87.51% (10)", "5.35 pp", "0.01"):
        assert value in cells  # whole, never `Summati…`
    assert "Status" not in cells and "Status: completed in every row." in out  # said once, under the table
    assert "| not | a | table |" in out  # a code block is left alone
    assert "a chart 50 wide" in out and "a chart 78 columns wide" not in out


async def test_report_reads_at_80_columns_and_draws_its_charts_for_the_pane(tmp_path, monkeypatch):
    """The real offline report: its 12-column table and 78-column charts at 80x24, then 120x40."""
    from tests.support.tui import make_report_run, screen_text
    from sweepdeck.tui.report_layout import widest_fence_line

    monkeypatch.delenv("NO_COLOR", raising=False)
    run = make_report_run(tmp_path / "runs")
    written = (run / "report.md").read_text()
    app = make_app(tmp_path / "runs", attach=run)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training")
        await pilot.press("f5")
        rep = app.screen
        await wait_for(pilot, lambda: app.current_mode == "report" and rep.settled and rep.charts, timeout=20)
        width, _ = rep._chart_size()
        assert widest_fence_line(written) > width >= widest_fence_line(rep.laid_out)  # drawn for the pane
        assert "Status: completed in every row." in rep.laid_out
        for title in ("Results of all trials", "Charts"):
            heading = next(h for h in rep.query("MarkdownH2") if title in str(h._content))
            rep.query_one("#report-scroll").scroll_to_widget(heading, animate=False, top=True)
            await pilot.pause()
            shown = screen_text(app)
            assert "…" not in shown and "Summation" in shown or title == "Charts"
        assert "┤" in shown and "Test accuracy (%) per epoch" in shown
        assert (run / "report.md").read_text() == written  # report.md itself is as the engine wrote it
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: rep._layout_width > 100 and rep.settled)
        assert widest_fence_line(rep.laid_out) == widest_fence_line(written)  # report.md's own charts fit


# --- a question about the run (issue 16) -------------------------------------------------------------

async def test_ask_a_question_under_the_report_streams_a_checked_answer_and_follows_up(tmp_path, monkeypatch):
    from fake_llm_server import FakeLLM
    from test_facts import hand_built

    from sweepdeck.engine.ask import read_history

    run = hand_built(tmp_path / "runs" / "20260101-120000-toy")
    (run / "report.md").write_text("# Report\n\n## Fact check\nChecked 0 numbers.\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET0123456789abcdefXYZ")
    monkeypatch.setenv("SWEEPDECK_LLM_MODEL", "fake-model")
    reply = "The best trial is {{best.trial_id}} with {{best.test_acc_best}}; t001 reached 91.30% \x1b]0;x\x07once."
    with FakeLLM(default={"kind": "stream", "text": reply, "chunk": 5}) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        app = make_app(tmp_path / "runs", attach=run)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.current_mode == "training")
            await pilot.press("f5")
            rep = app.screen
            await wait_for(pilot, lambda: app.current_mode == "report" and rep.settled)
            await pilot.press("a", *"which trial was best?", "enter")
            await wait_for(pilot, lambda: rep.asked == 1, timeout=20)
            shown = str(rep.query_one("#ask-answer").render())
            assert "Q: which trial was best?" in shown
            assert "The best trial is t001 with 86.00%" in shown and "{{" not in shown  # filled from the facts
            assert "91.30% ⚠[1]" in shown and "the data says" in shown  # a wrong number flagged inline
            assert "\x1b" not in shown and "\x07" not in shown
            await pilot.press(*"and its lr?", "enter")  # the next question follows the conversation up
            await wait_for(pilot, lambda: rep.asked == 2, timeout=20)
            sent = srv.chat_requests[1]["json"]["messages"]
            assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
            await pilot.press("escape", "c")  # back to the report's own keys
            assert rep.query_one("#factcheck").has_class("-expanded")
    history = read_history(run)
    assert [r.question for r in history] == ["which trial was best?", "and its lr?"]
    assert [r.conversation for r in history] == [1, 1]
    assert "SECRET" not in (run / "asks.jsonl").read_text()


async def test_ask_without_an_llm_says_so_in_one_line(tmp_path, monkeypatch):
    from test_facts import hand_built

    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SWEEPDECK_LLM_MODEL"):
        monkeypatch.delenv(k, raising=False)
    run = hand_built(tmp_path / "runs" / "20260101-120000-toy")
    app = make_app(tmp_path / "runs", attach=run)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training")
        await pilot.press("f5")
        rep = app.screen
        await wait_for(pilot, lambda: app.current_mode == "report")
        await pilot.press("a", *"best?", "enter")
        await wait_for(pilot, lambda: not rep.asking and "no answer" in str(rep.query_one("#ask-answer").render()))
        assert "ask needs an LLM" in str(rep.query_one("#ask-answer").render())
    assert not (run / "asks.jsonl").exists()
