"""The sweep report: `report.md` in the run folder, written by an LLM or offline.

    facts (engine/analysis/facts.py, pandas)  →  prompt (prompts/*.md)  →  LLM (engine/llm.py, streamed)
      → placeholders filled from the facts → every literal number checked → report.md

When no LLM is configured or reachable, the offline report (same sections, written
by code from the same facts) is saved instead, with a visible line saying why.

Files written in the run folder: report.md, report_prompt.md (exact messages sent,
LLM reports only), facts.json, charts/*.png (when matplotlib is installed).
The API key is never written anywhere.

Module-level imports stay light (no pandas, openai or plotext): the CLI and the
TUI import this module at startup.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from pydantic import BaseModel, Field

REPORT = "report.md"
PROMPT = "report_prompt.md"
FACTS = "facts.json"


class ReportSettings(BaseModel):
    """Where and how the report is written. Merged: CLI flags > the config's `llm`
    section > environment (OPENAI_BASE_URL, SWEEPDECK_LLM_MODEL) > defaults. The key
    is not a setting: it comes from OPENAI_API_KEY or `api_key_file` when needed."""

    offline: bool = False
    model: Optional[str] = None
    base_url: Optional[str] = None
    temperature: float = Field(0.2, ge=0, le=2)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    api_key_file: Optional[str] = None
    stream: bool = True

    @classmethod
    def resolve(cls, args: Optional[argparse.Namespace] = None, llm_config: Optional[dict[str, Any]] = None,
                env: Optional[dict[str, str]] = None) -> "ReportSettings":
        env = os.environ if env is None else env
        cfg = dict(llm_config or {})
        a = vars(args) if args is not None else {}

        def pick(flag: str, key: str, env_name: Optional[str] = None, default: Any = None) -> Any:
            if a.get(flag) is not None:
                return a[flag]
            if cfg.get(key) is not None:
                return cfg[key]
            if env_name and env.get(env_name):
                return env[env_name]
            return default

        return cls(
            offline=bool(a.get("offline") or False),
            model=pick("model", "model", "SWEEPDECK_LLM_MODEL"),
            base_url=pick("base_url", "base_url", "OPENAI_BASE_URL"),
            temperature=pick("temperature", "temperature", None, 0.2),
            timeout_s=pick("timeout", "timeout_s", None, 60.0),
            max_retries=pick("max_retries", "max_retries", None, 2),
            api_key_file=pick("api_key_file", "api_key_file"),
        )

    @classmethod
    def for_run(cls, run_dir: Path, args: Optional[argparse.Namespace] = None,
                env: Optional[dict[str, str]] = None) -> "ReportSettings":
        """Settings for a run folder: its resolved config's `llm` section under the flags."""
        from engine.store import RESOLVED, read_json

        resolved = read_json(Path(run_dir) / RESOLVED) or {}
        llm = (resolved.get("config") or {}).get("llm")
        return cls.resolve(args, llm if isinstance(llm, dict) else None, env)


class ReportResult(BaseModel):
    path: Path
    used_llm: bool
    fallback_reason: Optional[str] = None      # why the LLM was not used (None when it was)
    n_numbers_checked: int = 0
    mismatches: list[dict[str, Any]] = []      # {number, quote, reason, data_says, line}
    unknown_placeholders: list[str] = []
    n_placeholders_filled: int = 0
    model: Optional[str] = None
    prompt_path: Optional[Path] = None
    markdown: str = ""                         # the final report text (what report.md holds)
    prompt_chars: int = 0                      # size of the messages sent (tokens ≈ chars / 4)
    seconds: float = 0.0


class ReportInputError(ValueError):
    """The run folder cannot be reported on (one line for the user)."""


# --- CLI -------------------------------------------------------------------------------------------

def add_report_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("report")
    g.add_argument("--offline", action="store_true", default=None,
                   help="write the report from the facts by code, without an LLM (no network)")
    g.add_argument("--model", default=None, help="LLM model name (else llm.model, $SWEEPDECK_LLM_MODEL)")
    g.add_argument("--base-url", dest="base_url", default=None, metavar="URL",
                   help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama (else llm.base_url, $OPENAI_BASE_URL)")
    g.add_argument("--temperature", type=float, default=None, metavar="T", help="sampling temperature (default 0.2)")
    g.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="give up on a silent LLM server after this many seconds per try (default 60)")
    g.add_argument("--api-key-file", dest="api_key_file", default=None, metavar="PATH",
                   help="file holding the API key (else $OPENAI_API_KEY); the key is never written anywhere")


def report_command(run_dir: Path, args: argparse.Namespace) -> int:
    """`sweepdeck report RUN`: write the report, print its path; 0 ok, 2 bad input."""
    run_dir = Path(run_dir)
    try:
        if getattr(args, "timeout", None) is not None and args.timeout <= 0:
            raise ReportInputError(f"--timeout must be > 0 seconds, got {args.timeout:g}")
        if getattr(args, "temperature", None) is not None and not 0 <= args.temperature <= 2:
            raise ReportInputError(f"--temperature must be between 0 and 2, got {args.temperature:g}")
        try:
            settings = ReportSettings.for_run(run_dir, args)
        except ValueError as exc:  # pydantic: a bad value in the config's llm section
            raise ReportInputError(f"invalid report settings: {str(exc).splitlines()[0]}") from None
        result = generate_report(run_dir, settings)
    except ReportInputError as exc:
        print(f"sweepdeck report: {exc}", file=sys.stderr)
        return 2
    if not result.used_llm and result.fallback_reason and not settings.offline:
        print(f"offline report: {result.fallback_reason}", file=sys.stderr)
    elif result.used_llm:
        n = len(result.mismatches)
        print(f"LLM report by {result.model}: {result.n_numbers_checked} numbers checked, "
              f"{n} mismatch{'es' if n != 1 else ''}" + (f", {len(result.unknown_placeholders)} unknown placeholders"
                                                       if result.unknown_placeholders else ""), file=sys.stderr)
    if result.prompt_chars > 8000 and ":11434" in (settings.base_url or ""):
        print(f"note: the prompt is about {result.prompt_chars // 4} tokens; Ollama silently truncates prompts longer "
              "than its context (2k-4k tokens by default): start it with OLLAMA_CONTEXT_LENGTH=16384", file=sys.stderr)
    print(result.path)
    return 0


# --- when is the LLM used ----------------------------------------------------------------------------

def llm_plan(settings: ReportSettings, env: Optional[dict[str, str]] = None) -> tuple[Optional[str], Optional[str]]:
    """(reason not to use the LLM or None, API key or None)."""
    from engine.llm import is_openai_url, read_api_key

    if settings.offline:
        return "--offline was given", None
    if not settings.model and not settings.base_url:
        return ("no LLM configured: give --model (or llm.model in the config, or $SWEEPDECK_LLM_MODEL), "
                "or --base-url for a local server such as Ollama"), None
    key, problem = read_api_key(settings.api_key_file, env)
    if problem:
        return problem, None
    if is_openai_url(settings.base_url) and not settings.model:
        return "no model given for https://api.openai.com: give --model (e.g. gpt-4o-mini) or llm.model", None
    if is_openai_url(settings.base_url) and not key:
        return ("no API key for https://api.openai.com: set OPENAI_API_KEY or llm.api_key_file, "
                "or use --base-url for a local server"), None
    return None, key


# --- the report --------------------------------------------------------------------------------------

def generate_report(run_dir: Path, settings: ReportSettings,
                    on_text: Optional[Callable[[str], None]] = None) -> ReportResult:
    """Write `report.md` in `run_dir` and return what happened. `on_text` receives the
    Markdown as it is produced (LLM text streamed with placeholders already filled).
    If the LLM fails midway, on_text then receives a line saying so and the offline
    report; `ReportResult.markdown` is always the final file's text (show it at the end:
    it has the table of all trials in place and ⚠ markers on numbers that failed the check).
    Raises ReportInputError (one line) for a folder that cannot be read or written."""
    try:
        return _generate(Path(run_dir), settings, on_text)
    except OSError as exc:
        raise ReportInputError(f"{run_dir}: cannot write the report: {exc.strerror or exc}") from None


def _generate(run_dir: Path, settings: ReportSettings, on_text: Optional[Callable[[str], None]]) -> ReportResult:
    from engine.analysis.charts import make_charts
    from engine.analysis.facts import RunDataError, build_facts, facts_json
    from engine.analysis.offline import charts_section, offline_body, results_table
    from engine.analysis.verify import StreamFiller, fill_placeholders, verify
    from engine.store import write_text_atomic

    t0 = time.monotonic()
    emit = on_text or (lambda _s: None)
    try:
        fs = build_facts(run_dir)
    except RunDataError as exc:
        raise ReportInputError(str(exc)) from None
    reason, key = llm_plan(settings)
    if reason is None and fs.ranked.empty:
        reason = "no trial has results yet, so there is nothing for the LLM to interpret"
    write_text_atomic(run_dir / FACTS, facts_json(fs) + "\n")
    charts = make_charts(fs, run_dir)

    title = f"# Sweep report: {fs.name}\n\nRun `{fs.run_id}` · report of {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    body = ""
    used_llm = False
    model = settings.model
    prompt_path = None
    prompt_chars = 0
    dropped: list[str] = []
    filler = StreamFiller(fs)
    if reason is None:
        from engine import llm
        from engine.analysis.prompt import build_prompt, prompt_file_text

        system, user, sources = build_prompt(fs)
        prompt_chars = len(system) + len(user)
        prompt_path = run_dir / PROMPT
        write_text_atomic(prompt_path, prompt_file_text(system, user, settings.model, sources))
        head = title + f" · LLM: {settings.model or 'server default'} at {llm.safe_url(settings.base_url)}\n\n"
        emit(head)

        def chunk(piece: str) -> None:
            out = filler.feed(piece)
            if out:
                emit(out)
        try:
            raw, model = llm.chat(
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                model=settings.model, base_url=settings.base_url, api_key=key,
                temperature=settings.temperature, timeout_s=settings.timeout_s,
                max_retries=settings.max_retries, stream=settings.stream, on_chunk=chunk)
            tail = filler.finish()
            if tail:
                emit(tail)
            body, dropped = _drop_sections(_strip_fences(raw), ("fact check", "charts", "results of all trials"))
            used_llm = True
            if model != settings.model:  # picked from the server's list: say which
                write_text_atomic(prompt_path, prompt_file_text(system, user, model, sources))
        except llm.LLMError as exc:
            reason = f"the LLM request failed: {exc.reason}"
            emit(f"\n\n> **The LLM failed** ({reason}); the offline report follows.\n\n")
    n_filled, unknown, mismatches, n_checked = 0, [], [], 0
    if used_llm:
        filled = fill_placeholders(body, fs)
        n_filled, unknown = filled.n_filled, filled.unknown
        vr = verify(filled.text, fs)
        n_checked, mismatches = vr.n_checked, vr.mismatches
        text_body = _mark(filled.text, mismatches)
        header = title + f" · text by the LLM `{model}`; every number filled in or checked by sweepdeck (see Fact check)\n"
        table = results_table(fs)
        fact = _fact_check_llm(n_filled, n_checked, mismatches, unknown)
        if dropped:
            fact += ("\n\nThe model's own " + ", ".join(f"“{d}”" for d in dropped)
                     + " section" + ("s were" if len(dropped) > 1 else " was") + " replaced by sweepdeck's.")
        tail = "\n\n" + charts_section(charts) + "\n\n" + fact + "\n"
        # the table of all trials goes where the offline report has it: after the overview
        markdown = header + "\n" + _after_overview(text_body.strip(), table) + tail
        emit("\n\n" + table + tail)
    else:
        body = offline_body(fs)
        vr = verify(body, fs)
        n_checked, mismatches = vr.n_checked, vr.mismatches
        why = f"\n\n> **Offline report** (written by code from the facts, no LLM): {reason}.\n"
        fact = _fact_check_offline(n_checked, mismatches)
        rest = why + "\n" + body + "\n\n" + charts_section(charts) + "\n\n" + fact + "\n"
        markdown = title + rest
        emit(rest.lstrip("\n") if prompt_path else markdown)
    path = run_dir / REPORT
    write_text_atomic(path, markdown)
    if prompt_path is None:
        (run_dir / PROMPT).unlink(missing_ok=True)  # a prompt from an earlier LLM report would mislead
    return ReportResult(
        path=path, used_llm=used_llm, fallback_reason=None if used_llm else reason, n_numbers_checked=n_checked,
        mismatches=[m.as_dict() for m in mismatches], unknown_placeholders=unknown, n_placeholders_filled=n_filled,
        model=model if used_llm else None, prompt_path=prompt_path, markdown=markdown, prompt_chars=prompt_chars,
        seconds=round(time.monotonic() - t0, 3),
    )


def _after_overview(text: str, block: str) -> str:
    """`text` with `block` inserted before the heading that follows "## Overview" (else appended)."""
    lines = text.split("\n")
    seen = False
    for i, line in enumerate(lines):
        if re.match(r"#{1,3}\s", line):
            if seen:
                return "\n".join(lines[:i]).rstrip() + "\n\n" + block + "\n\n" + "\n".join(lines[i:])
            seen = "overview" in line.lower()
    return text + "\n\n" + block


def _drop_sections(text: str, titles: tuple[str, ...]) -> tuple[str, list[str]]:
    """`text` without the sections whose heading is one of `titles` (sweepdeck writes those)."""
    out, dropped, skipping = [], [], False
    for line in text.split("\n"):
        m = re.match(r"(#{1,3})\s+(.*?)\s*#*\s*$", line)
        if m:
            name = m.group(2).strip().strip("*").strip()
            skipping = name.lower() in titles
            if skipping:
                dropped.append(name)
                continue
        if not skipping:
            out.append(line)
    return "\n".join(out), dropped


def _strip_fences(text: str) -> str:
    """Models sometimes wrap the whole answer in ```markdown ... ```."""
    s = text.strip()
    if s.startswith("```") and s.endswith("```") and s.count("```") == 2:
        s = s.split("\n", 1)[1] if "\n" in s else ""
        s = s[: s.rfind("```")]
    return s


def _mark(text: str, mismatches: list[Any]) -> str:
    """Put a visible marker after each number that failed the check: `87.08% ⚠[1]`."""
    lines = text.split("\n")
    for i, m in enumerate(mismatches, start=1):
        k = m.line - 1
        if 0 <= k < len(lines):
            line = lines[k]
            j = line.find(m.number)
            if j >= 0:
                end = j + len(m.number)
                lines[k] = line[:end] + f" ⚠[{i}]" + line[end:]
    return "\n".join(lines)


def _fact_check_llm(n_filled: int, n_checked: int, mismatches: list[Any], unknown: list[str]) -> str:
    lines = ["## Fact check", ""]
    lines.append(f"sweepdeck filled in {n_filled} placeholder{'s' if n_filled != 1 else ''} from the fact sheet "
                 f"(`facts.json`) and checked {n_checked} number{'s' if n_checked != 1 else ''} in the text against it: "
                 + ("all match." if not mismatches else
                    f"**{len(mismatches)} did not match** (marked ⚠ in the text):"))
    if mismatches:
        lines.append("")
    for i, m in enumerate(mismatches, start=1):
        lines.append(f"{i}. “{m.quote}” — **{m.number}**: {m.reason}. The data: {m.data_says or 'no matching fact'}.")
    if unknown:
        lines += ["", f"**{len(unknown)} unknown placeholder{'s' if len(unknown) != 1 else ''}** "
                      "(shown as [unknown fact: …]; no such fact exists): "
                      + ", ".join(f"`{u[:80]}`" for u in unknown[:20]) + ("…" if len(unknown) > 20 else "")]
    return "\n".join(lines)


def _fact_check_offline(n_checked: int, mismatches: list[Any]) -> str:
    lines = ["## Fact check", "",
             f"This report was written by code from the fact sheet (`facts.json`); the checker read {n_checked} "
             f"number{'s' if n_checked != 1 else ''} in it: " + ("all match." if not mismatches else f"{len(mismatches)} did not match:")]
    if mismatches:
        lines.append("")
    for i, m in enumerate(mismatches, start=1):
        lines.append(f"{i}. “{m.quote}” — **{m.number}**: {m.reason}. The data: {m.data_says}.")
    return "\n".join(lines)
