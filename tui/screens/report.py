"""Section 4: the run's report.md, its fact check, regeneration (streamed live).

report.md and the streamed text come from a run folder or an LLM, both untrusted:
what reaches the screen goes through `strip_control` (no escape sequences), and
links in the report open only when they are web links.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Markdown, Static

from sweepdeck.engine.report import REPORT
from sweepdeck.engine.safe_text import strip_control
from sweepdeck.engine.store import CONFIG, read_json
from sweepdeck.tui.messages import AskChunk, AskDone, ChartsDrawn, ReportChunk, ReportDone
from sweepdeck.tui.report_layout import fit_report, widest_fence_line
from sweepdeck.tui.screens.base import SectionScreen
from sweepdeck.tui.screens.modals import ChoiceScreen
from sweepdeck.tui.widgets.section_bar import SectionBar

STREAM_REDRAW_S = 0.3
FENCE_PADDING = 2  # a code block's padding, left and right (sweepdeck.tcss)
_FACT_HEADING = re.compile(r"^(#{1,6})\s*fact[\s-]*check", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s")


def fact_check_section(markdown: str) -> Optional[str]:
    """The report's "Fact check" section (without its heading), or None."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        m = _FACT_HEADING.match(line)
        if m:
            level = len(m.group(1))
            body = []
            for nxt in lines[i + 1:]:
                h = _HEADING.match(nxt)
                if h and len(h.group(1)) <= level:
                    break
                body.append(nxt)
            return "\n".join(body).strip()
    return None


def report_settings_kwargs(run_dir: Path, offline: bool) -> dict:
    """ReportSettings arguments from the run's config (llm section)."""
    kw: dict = {"offline": offline}
    raw = read_json(run_dir / CONFIG) or {}
    try:
        from sweepdeck.engine.config import validate_config

        llm = validate_config(raw).llm
        kw.update(model=llm.model, base_url=llm.base_url, temperature=llm.temperature,
                  timeout_s=llm.timeout_s, max_retries=llm.max_retries, api_key_file=llm.api_key_file,
                  origins={"base_url": "config", "api_key_file": "config"})  # so no key goes where a config alone says
    except Exception:
        pass
    return kw


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _settings(cls, run_dir: Path, offline: bool):
    """ReportSettings for a run: the engine's own merge (config llm section,
    environment) when it has one, else built from the run's config."""
    if hasattr(cls, "for_run"):
        return cls.for_run(run_dir, {"offline": offline})
    try:
        return cls(**report_settings_kwargs(run_dir, offline))
    except TypeError:
        return cls(offline=offline)


def _web_link(href: str) -> bool:
    try:
        return urlsplit(href).scheme in ("http", "https")
    except ValueError:
        return False


def result_note(result) -> str:
    """One line about a ReportResult: LLM or offline (and why), fact-check counts."""
    parts = []
    used = getattr(result, "used_llm", None)
    if used is True:
        parts.append(f"LLM {getattr(result, 'model', '') or ''}".strip())
    elif used is False:
        reason = getattr(result, "fallback_reason", None)
        parts.append("offline" + (f" ({reason})" if reason else ""))
    n = getattr(result, "n_numbers_checked", None)
    if n is not None:
        bad = len(getattr(result, "mismatches", []) or [])
        parts.append(f"fact check: {n} numbers, {bad} mismatch{'es' if bad != 1 else ''}")
    parts += getattr(result, "notes", None) or []  # e.g. the key was not sent, and how to send it
    return "; ".join(parts)


class ReportScreen(SectionScreen):
    BINDINGS = [
        Binding("g", "regenerate", "Regenerate", tooltip="Write the report again: LLM or offline"),
        Binding("e", "edit", "Edit", tooltip="Open report.md in $VISUAL / $EDITOR"),
        Binding("v", "view", "Pager", tooltip="Open report.md in $PAGER"),
        Binding("c", "toggle_facts", "Facts", tooltip="Expand or shrink the fact-check panel"),
        Binding("u", "reload", "Reload", tooltip="Read report.md again"),
        Binding("a", "ask", "Ask", tooltip="Ask a question about this run: the LLM answers from its facts, numbers checked"),
        Binding("escape", "leave_ask", "Back to the report", show=False),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run_dir: Optional[Path] = None
        self.text = ""
        self.mtime: Optional[float] = None
        self.streaming = False
        self._dirty = False
        self._ticks = 0
        self.shown_text: Optional[str] = None  # what the Markdown widget has finished rendering
        self.laid_out: Optional[str] = None  # the same, as laid out for the pane (tables narrowed, charts redrawn)
        self._layout_width = 0
        self._rendering = False
        # the report's text charts drawn at the pane's size, and that size; see _charts_for
        self.charts: dict[str, str] = {}
        self._charts_key: Optional[tuple[Path, tuple[int, int]]] = None
        self._charts_asked: Optional[tuple[Path, tuple[int, int]]] = None
        self._facts: Optional[tuple[Path, object]] = None  # the fact sheet the charts were drawn from
        # questions asked here about the current run: the first starts a conversation in
        # asks.jsonl, the next ones follow it up (ask.py sends the conversation along)
        self.asking = False
        self.asked = 0
        self.question = ""
        self.answer = ""

    def compose(self) -> ComposeResult:
        yield SectionBar("report")
        yield Static("", id="report-title")
        with VerticalScroll(id="report-scroll"):
            yield Markdown("", id="report-md", open_links=False)
        yield Static("", id="factcheck")
        # the answer to the last question, streamed, then checked (⚠[i] where a number or claim is wrong)
        with VerticalScroll(id="ask-scroll"):
            yield Static("", id="ask-answer")
        yield Input(placeholder="a: ask about this run, e.g. which lr was best? (enter sends)", id="ask-input",
                    compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(STREAM_REDRAW_S, self._flush)
        self.watch(self.app, "run_dir", self._run_changed, init=False)
        self.sync_run()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.sync_run()

    def _pane_width(self) -> int:
        """The columns a Markdown block gets: the widget's, less its padding."""
        md = self.query_one("#report-md", Markdown)
        return max(md.content_region.width or md.size.width, 20)

    def _chart_size(self) -> tuple[int, int]:
        """A text chart's size for the pane: its width, and a height that fits in the pane."""
        pane = self.query_one("#report-scroll", VerticalScroll)
        return self._pane_width() - 2 * FENCE_PADDING, max(10, min(20, pane.content_region.height - 2))

    def _run_changed(self) -> None:
        if self.is_current:  # hidden, it catches up when shown (on_screen_resume)
            self.on_screen_resume()

    def sync_run(self) -> None:
        run_dir = self.app.run_dir
        if run_dir is None:
            self.run_dir = None
            self.query_one("#report-title", Static).update("No run selected: open one in Runs (F4).")
            return
        path = run_dir / REPORT
        mtime = path.stat().st_mtime if path.exists() else None
        if run_dir != self.run_dir:
            self.asked, self.question, self.answer = 0, "", ""
            self._show_answer()
        if run_dir != self.run_dir or (mtime != self.mtime and not self.streaming):
            self.run_dir = run_dir
            self.load()

    @property
    def path(self) -> Optional[Path]:
        return self.run_dir / REPORT if self.run_dir else None

    def load(self) -> None:
        assert self.run_dir is not None
        path = self.run_dir / REPORT
        self._charts_key = self._charts_asked = self._facts = None  # a new report: its charts drawn again
        if path.exists():
            self.text = path.read_text(encoding="utf-8", errors="replace")
            self.mtime = path.stat().st_mtime
            self._title(_shown(path))
        else:
            self.text = ""
            self.mtime = None
            self._title(f"{self.run_dir.name}: no report.md yet - press g to write one")
        self._dirty = True
        self.call_after_refresh(self._flush)

    def _title(self, text: str) -> None:
        self.query_one("#report-title", Static).update(strip_control(text))

    async def _flush(self) -> None:
        if not self.is_current:
            return
        if self.text and self._pane_width() != self._layout_width:
            # a resize of the terminal, or the scrollbar coming or going: laid out again,
            # at this tick, not at every step of a drag
            self._dirty = True
        if not self._dirty and not self.streaming and self.run_dir is not None:
            self._ticks += 1
            if self._ticks % 4 == 0:  # about once a second: the runner may have (re)written report.md
                path = self.run_dir / REPORT
                mtime = path.stat().st_mtime if path.exists() else None
                if mtime != self.mtime:
                    self.load()
            return
        if not self._dirty:
            return
        self._dirty = False
        text = strip_control(self.text)  # the whole text: a sequence split across chunks is whole here
        width = self._pane_width()
        charts = self._charts_for(text)
        laid_out = fit_report(text, width, charts)
        self._layout_width = width
        if laid_out != self.laid_out:
            self._rendering = True
            try:
                await self.query_one("#report-md", Markdown).update(laid_out)
            finally:
                self._rendering = False
        self.laid_out = laid_out
        self.shown_text = text
        facts = fact_check_section(text)
        panel = self.query_one("#factcheck", Static)
        if self.streaming:
            panel.update("Fact check: runs when the report is complete.")
        elif facts is None:
            panel.update("Fact check: this report has no fact-check section." if self.text else "")
        else:
            panel.update("Fact check: " + facts)

    @property
    def settled(self) -> bool:
        """Shown as laid out for the pane, its charts drawn (what tests and snapshots wait for)."""
        return (not self._dirty and not self._rendering and not self.streaming and self.shown_text == strip_control(self.text)
                and self._charts_asked in (None, self._charts_key))

    def _charts_for(self, text: str) -> Optional[dict[str, str]]:
        """The charts drawn at the pane's size, or None while they are being drawn (a
        worker: the fact sheet needs pandas, which the TUI does not load at start-up)."""
        if self.streaming or self.run_dir is None:
            return None
        size = self._chart_size()
        if widest_fence_line(text) <= size[0]:
            return None  # report.md's own charts fit
        key = (self.run_dir, size)
        if key == self._charts_key:
            return self.charts
        if key != self._charts_asked:
            self._charts_asked = key
            self._draw_charts(self.run_dir, size)
        return None

    @work(thread=True, exclusive=True, group="report-charts")
    def _draw_charts(self, run_dir: Path, size: tuple[int, int]) -> None:
        try:
            from sweepdeck.engine.analysis.charts import text_charts
            from sweepdeck.engine.analysis.facts import build_facts

            facts = self._facts
            if facts is None or facts[0] != run_dir:
                facts = self._facts = (run_dir, build_facts(run_dir))  # once per report shown: resizing redraws only
            charts = text_charts(facts[1], width=size[0], height=size[1])
        except Exception:  # report.md's own charts stay: wider than the pane, scrolled sideways
            charts = {}
        self.post_message(ChartsDrawn(run_dir, size, charts))

    def on_charts_drawn(self, msg: ChartsDrawn) -> None:
        if msg.run_dir == self.run_dir:
            self.charts = {k: strip_control(v) for k, v in msg.charts.items()}
            self._charts_key = (msg.run_dir, msg.size)
            self._dirty = True

    # --- actions --------------------------------------------------------------------
    def action_reload(self) -> None:
        if self.run_dir is not None:
            self.load()

    def action_toggle_facts(self) -> None:
        panel = self.query_one("#factcheck", Static)
        panel.toggle_class("-expanded")

    def action_regenerate(self) -> None:
        if self.run_dir is None:
            self.notify("No run selected", severity="warning")
            return
        if self.streaming:
            self.notify("A report is being written already", severity="warning")
            return
        run_dir = self.run_dir
        self.app.push_screen(
            ChoiceScreen("Regenerate the report of " + run_dir.name,
                         [("l", "with the LLM (config's llm section / environment)", "llm"),
                          ("o", "offline (no network, from the facts)", "offline")]),
            lambda choice: self.regenerate(run_dir, choice == "offline") if choice else None,
        )

    def regenerate(self, run_dir: Path, offline: bool) -> None:
        self.streaming = True
        self.text = ""
        self._title(f"{run_dir.name}: writing the report ({'offline' if offline else 'LLM'})...")
        self._dirty = True
        self._generate(run_dir, offline)

    @work(thread=True, exclusive=True, group="report")
    def _generate(self, run_dir: Path, offline: bool) -> None:
        try:
            from sweepdeck.engine.report import ReportSettings, generate_report  # light at import: no torch
        except ImportError as exc:
            self.post_message(ReportDone(run_dir, False, f"the report module is not available: {exc}"))
            return
        try:
            settings = _settings(ReportSettings, run_dir, offline)
            result = generate_report(run_dir, settings, on_text=lambda s: self.post_message(ReportChunk(run_dir, s)))
        except Exception as exc:  # shown to the user, the TUI keeps running
            self.post_message(ReportDone(run_dir, False, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(ReportDone(run_dir, True, result_note(result)))

    def on_report_chunk(self, msg: ReportChunk) -> None:
        if msg.run_dir == self.run_dir:
            self.text += msg.text
            self._dirty = True

    def on_report_done(self, msg: ReportDone) -> None:
        if msg.run_dir != self.run_dir:
            return
        self.streaming = False
        if msg.ok:
            self.notify("Report written" + (f": {strip_control(msg.message)}" if msg.message else ""))
            self.load()
        else:
            self.notify(f"Report failed: {strip_control(msg.message)}", severity="error", timeout=10)
            self._title(f"{self.run_dir.name if self.run_dir else ''}: report failed: {msg.message}")
            if self.run_dir is not None and (self.run_dir / REPORT).exists():
                self.load()

    # --- questions (issue 16) ---------------------------------------------------------
    def action_ask(self) -> None:
        self.query_one("#ask-input", Input).focus()

    def action_leave_ask(self) -> None:
        self.query_one("#report-scroll", VerticalScroll).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "ask-input":
            return
        question = " ".join(strip_control(event.value).split())
        if not question:
            return
        if self.run_dir is None:
            self.notify("No run selected", severity="warning")
            return
        if self.asking:
            self.notify("A question is being answered already", severity="warning")
            return
        event.input.value = ""
        self.asking = True
        self.question, self.answer = question, ""
        self._show_answer("asking the LLM...")
        self._ask(self.run_dir, question, self.asked > 0)

    @work(thread=True, exclusive=True, group="ask")
    def _ask(self, run_dir: Path, question: str, follow_up: bool) -> None:
        try:
            from sweepdeck.engine.ask import ask, check_question  # pandas loads here, not at start-up
            from sweepdeck.engine.report import ReportSettings

            settings = ReportSettings.for_run(run_dir, {})
            result = ask(run_dir, check_question(question), settings, follow_up=follow_up,
                         on_text=lambda s: self.post_message(AskChunk(run_dir, s)))
        except Exception as exc:  # AskError says it in one line; anything else is shown, not raised
            from sweepdeck.engine.errors import SweepdeckError

            said = str(exc) if isinstance(exc, SweepdeckError) else f"{type(exc).__name__}: {exc}"
            self.post_message(AskDone(run_dir, error=said))
            return
        rec = result.record
        facts = [f"⚠[{i}] {m.get('reason', '')} (the data says {m.get('data_says', '')})"
                 for i, m in enumerate(rec.mismatches, start=1)]
        n = len(rec.mismatches)
        facts.append(f"{rec.n_checked} numbers checked, {n} mismatch{'es' if n != 1 else ''}"
                     + ("" if result.saved else "; not saved in asks.jsonl") + "".join(f"; {x}" for x in result.notes))
        self.post_message(AskDone(run_dir, answer=rec.answer, facts="\n".join(facts)))

    def on_ask_chunk(self, msg: AskChunk) -> None:
        if msg.run_dir == self.run_dir and self.asking:
            self.answer += msg.text
            self._show_answer()

    def on_ask_done(self, msg: AskDone) -> None:
        if msg.run_dir != self.run_dir:
            return
        self.asking = False
        if msg.error:
            self._show_answer(f"no answer: {msg.error}", error=True)
            return
        self.asked += 1
        self.answer = msg.answer  # as checked: the streamed text with its ⚠[i] markers
        self._show_answer(facts=msg.facts)

    def _show_answer(self, status: str = "", facts: str = "", error: bool = False) -> None:
        """The question and its answer under the report; everything from the LLM stripped of escapes."""
        shown = self.query_one("#ask-answer", Static)
        box = self.query_one("#ask-scroll", VerticalScroll)
        box.display = bool(self.question)
        if not self.question:
            shown.update("")
            return
        text = Text()
        text.append("Q: ", style="bold")
        text.append(strip_control(self.question) + "\n")
        if self.answer:
            text.append(strip_control(self.answer).rstrip() + "\n")
        if status:
            text.append(strip_control(status) + "\n", style="bold red" if error else "italic")
        if facts:
            text.append(strip_control(facts), style="dim")
        shown.update(text)
        box.scroll_end(animate=False)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # a model's answer may link anywhere: javascript:, file:, a custom scheme handler
        if _web_link(event.href):
            self.app.open_url(event.href)
        else:
            self.notify(f"Not opened (not a web link): {strip_control(event.href)[:80]}", severity="warning")

    def action_edit(self) -> None:
        self._external(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")

    def action_view(self) -> None:
        self._external(os.environ.get("PAGER") or "less")

    def _external(self, command: str) -> None:
        path = self.path
        if path is None or not path.exists():
            self.notify("No report.md to open", severity="warning")
            return
        self.app.run_external([*shlex.split(command), str(path)])
        self.load()
