"""`sweepdeck ask RUN "question"`: a question about a run, answered from its fact sheet.

The report's pipeline, for one answer: the fact sheet (analysis/facts.py) goes to the
LLM with prompts/ask_system.md; its answer streams back with placeholders filled from
the facts; then every literal number and claim is checked (analysis/verify.py) and
each one that fails gets a ⚠[i] marker inline. `--continue` sends the last
conversation along, so a follow-up question ("and at lr 0.003?") keeps its context.

History: each question and answer is one line of `asks.jsonl` in the run folder
(never the key: every text written is stripped of it). That file is read back as
untrusted input: damaged or oversized lines are skipped.

Without an LLM there is no answer: one line saying how to configure one, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import string
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from pydantic import BaseModel, ValidationError

from sweepdeck.engine.errors import SweepdeckError, UsageError
from sweepdeck.engine.safe_files import read_regular_file
from sweepdeck.engine.safe_text import strip_control

ASKS = "asks.jsonl"
SYSTEM_FILE = "ask_system.md"
MAX_QUESTION = 2000       # characters; a question, not a document
MAX_TURNS = 8             # earlier turns of a conversation sent along
HISTORY_LIMIT = 8 * 2**20  # bytes of asks.jsonl read back


class AskError(SweepdeckError, RuntimeError):
    """No answer could be had (one line for the user)."""


class AskRecord(BaseModel):
    """One line of asks.jsonl."""

    time: float
    conversation: int
    question: str
    answer_text: str        # the model's text, placeholders as it wrote them (sent back on --continue)
    answer: str             # filled and checked, with ⚠[i] markers: what was shown
    model: str = ""
    n_checked: int = 0
    mismatches: list[dict[str, Any]] = []


class AskResult(BaseModel):
    record: AskRecord
    saved: bool = True
    notes: list[str] = []


# --- CLI ---------------------------------------------------------------------------------------

def add_ask_parser(sub: argparse._SubParsersAction) -> None:
    from sweepdeck.engine.report import add_report_options

    p = sub.add_parser("ask", help="ask a question about a run: answered by the LLM from its facts, numbers checked")
    p.add_argument("run", help="runs/<id> or <id>")
    p.add_argument("question", help='e.g. "which lr was best for Multiplication?"')
    p.add_argument("--continue", dest="follow_up", action="store_true",
                   help="a follow-up: send the last conversation about this run along")
    add_report_options(p)


def ask_command(args: argparse.Namespace) -> int:
    from sweepdeck.engine.report import ReportInputError, ReportSettings, check_report_options, report_flags
    from sweepdeck.engine.store import resolve_run

    run_dir = resolve_run(args.run)
    check_report_options(args)
    question = check_question(args.question)
    try:
        settings = ReportSettings.for_run(run_dir, report_flags(args))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ReportInputError(f"invalid LLM setting llm.{where}: {strip_control(err['msg'])}") from None
    result = ask(run_dir, question, settings, follow_up=args.follow_up)
    for note in result.notes:
        print(f"note: {strip_control(note)}", file=sys.stderr)
    print(strip_control(result.record.answer).rstrip())
    if result.record.mismatches:
        print("\nFact check: " + "; ".join(f"⚠[{i}] {strip_control(m.get('reason', ''))} (the data says "
                                           f"{strip_control(str(m.get('data_says', '')))})"
                                           for i, m in enumerate(result.record.mismatches, start=1)))
    n = len(result.record.mismatches)
    print(f"\n{result.record.n_checked} numbers checked, {n} mismatch{'es' if n != 1 else ''}"
          f" · {strip_control(result.record.model)}", file=sys.stderr)
    return 0


def check_question(text: str) -> str:
    question = " ".join(strip_control(text).split())
    if not question:
        raise UsageError('the question is empty: sweepdeck ask RUN "which lr was best?"')
    if len(question) > MAX_QUESTION:
        raise UsageError(f"the question is {len(question)} characters long: ask in at most {MAX_QUESTION}")
    return question


# --- the answer ----------------------------------------------------------------------------------

def ask(run_dir: Path, question: str, settings: Any, follow_up: bool = False,
        on_text: Optional[Callable[[str], None]] = None) -> AskResult:
    """Ask `question` about the run; returns the checked answer, saved to asks.jsonl.
    `on_text` receives the answer as it streams (placeholders filled, no escape sequences).
    Raises AskError (one line) when there is no LLM or it fails."""
    from sweepdeck.engine import llm
    from sweepdeck.engine.analysis.facts import build_facts
    from sweepdeck.engine.analysis.placeholders import StreamFiller, fill_placeholders
    from sweepdeck.engine.analysis.verify import verify
    from sweepdeck.engine.report import llm_plan, mark_mismatches, strip_fences
    from sweepdeck.engine.safe_text import CleanStream

    run_dir = Path(run_dir)
    plan = llm_plan(settings)
    if plan.reason:
        raise AskError(f"ask needs an LLM: {plan.reason}")
    fs = build_facts(run_dir)
    notes = list(plan.notes)
    history = read_history(run_dir)
    last = history[-1].conversation if history else 0
    turns = [r for r in history if r.conversation == last][-MAX_TURNS:] if follow_up else []
    if follow_up and not turns:
        notes.append(f"no earlier question about {run_dir.name}: this starts a conversation")
    messages = [{"role": "system", "content": strip_control(system_prompt(fs))}]
    for r in turns:
        # asks.jsonl is a file of a shared folder like any other
        messages += [{"role": "user", "content": strip_control(r.question)},
                     {"role": "assistant", "content": strip_control(r.answer_text)}]
    messages.append({"role": "user", "content": question})

    filler = StreamFiller(fs)
    clean = CleanStream(lambda s: llm.redact_key(s, plan.key), hold=len(plan.key or "") - 1)

    def show(text: str) -> None:
        if text and on_text is not None:
            on_text(strip_control(text))

    try:
        answer = llm.chat(messages, model=settings.model, base_url=settings.base_url, api_key=plan.key,
                          ambient=plan.ambient, temperature=settings.temperature, timeout_s=settings.timeout_s,
                          max_retries=settings.max_retries, max_tokens=settings.max_tokens, stream=settings.stream,
                          on_chunk=lambda piece: show(filler.feed(clean.feed(piece))))
    except llm.LLMError as exc:
        raise AskError(f"the LLM request failed: {exc.reason}") from None
    finally:
        show(filler.feed(clean.finish()) + filler.finish())
    text = strip_fences(llm.redact_key(strip_control(answer.text), plan.key))
    filled = fill_placeholders(text, fs)
    checked = verify(filled.text, fs)
    if answer.cut:
        notes.append(f"the model's answer was cut: {answer.cut}")
    record = AskRecord(
        time=time.time(), conversation=last if turns else last + 1, question=llm.redact_key(question, plan.key),
        answer_text=text, answer=mark_mismatches(filled.text, checked.mismatches), model=answer.model,
        n_checked=checked.n_checked, mismatches=[m.as_dict() for m in checked.mismatches])
    saved = True
    try:
        append_history(run_dir, record)
    except OSError as exc:
        saved = False
        notes.append(f"the answer was not saved in {run_dir / ASKS}: {exc.strerror or exc}")
    return AskResult(record=record, saved=saved, notes=notes)


def system_prompt(fs: Any) -> str:
    from sweepdeck.engine.analysis.prompt import fact_sheet_text, load_template

    template, _ = load_template(SYSTEM_FILE)
    return string.Template(template).safe_substitute(run_id=fs.run_id, name=fs.name, fact_sheet=fact_sheet_text(fs))


# --- history -------------------------------------------------------------------------------------

def read_history(run_dir: Path) -> list[AskRecord]:
    """asks.jsonl's valid records, oldest first; a damaged line is skipped."""
    try:
        data = read_regular_file(Path(run_dir) / ASKS, HISTORY_LIMIT)
    except OSError:
        return []
    out = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            out.append(AskRecord.model_validate_json(line))
        except ValueError:
            continue
    return out


def append_history(run_dir: Path, record: AskRecord) -> None:
    """One line appended to asks.jsonl, never through a symbolic link."""
    fd = os.open(Path(run_dir) / ASKS, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record.model_dump(), ensure_ascii=False) + "\n")
