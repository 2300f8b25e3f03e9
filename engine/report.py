"""The sweep report: `report.md` in the run folder, written by an LLM or offline.

    facts (engine/analysis/facts.py, pandas)  →  prompt (prompts/*.md)  →  LLM (engine/llm.py, streamed)
      → placeholders filled from the facts → every literal number checked → report.md

When no LLM is configured or reachable, the offline report (same sections, written
by code from the same facts) is saved instead, with a visible line saying why.

Files written in the run folder: report.md, report_prompt.md (exact messages sent,
LLM reports only), facts.json, charts/*.png (when matplotlib is installed).
The API key is never written anywhere, and goes only to an endpoint the user named
(flag or environment) or to OpenAI's own: a config is shared, so an endpoint it alone
names gets no key (see `llm_plan`). Everything shown or written is stripped of
terminal escape sequences and of the key; report.md also of active HTML.

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
from typing import Any, Callable, Literal, Mapping, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict, ValidationError

from sweepdeck.engine.config import LLMConfig
from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.safe_text import strip_control

REPORT = "report.md"
PROMPT = "report_prompt.md"
FACTS = "facts.json"


Origin = Literal["flag", "config", "env", "default"]


# the settings the environment may give, when neither a flag nor the config does
ENV_SETTINGS = {"model": "SWEEPDECK_LLM_MODEL", "base_url": "OPENAI_BASE_URL"}


class ReportSettings(LLMConfig):
    """Where and how the report is written: a config's `llm` settings (with their
    limits and defaults), merged: CLI flags > the config's `llm` section >
    environment (ENV_SETTINGS) > defaults; plus what only a command line or the
    calling code decides. The key is not a setting: it comes from OPENAI_API_KEY or
    `api_key_file` when needed. `origins` says where each merged setting came from;
    a setting missing there was given by the calling code, which counts as the
    user's choice."""

    # What a command line gives was never held to a config file's rules: `--timeout inf`
    # waits for ever, and a key file path is judged when it is read (read_key_file).
    model_config = ConfigDict(allow_inf_nan=True)
    api_key_file: Optional[str] = None

    offline: bool = False
    stream: bool = True
    origins: dict[str, Origin] = {}

    @classmethod
    def resolve(cls, flags: Optional[Mapping[str, Any]] = None, llm_config: Optional[Mapping[str, Any]] = None,
                env: Optional[Mapping[str, str]] = None) -> "ReportSettings":
        """Settings from `flags` (the values given on a command line, by setting name:
        `model`, `timeout_s`, `offline`...; None or "" for one not given), a config's
        `llm` section and the environment."""
        env = os.environ if env is None else env
        flags, cfg = flags or {}, llm_config or {}
        given: dict[str, Any] = {}
        origins: dict[str, Origin] = {}
        for name in LLMConfig.model_fields:
            for origin, source, key in (("flag", flags, name), ("config", cfg, name), ("env", env, ENV_SETTINGS.get(name))):
                if key and source.get(key) not in (None, ""):
                    given[name], origins[name] = source[key], origin
                    break
            else:
                origins[name] = "default"
        return cls(offline=bool(flags.get("offline")), origins=origins, **given)

    def from_config(self, name: str) -> bool:
        """Whether `name` was set by the config alone (a file that may come from anyone)."""
        return self.origins.get(name) == "config"

    @classmethod
    def for_run(cls, run_dir: Path, flags: Optional[Mapping[str, Any]] = None,
                env: Optional[Mapping[str, str]] = None) -> "ReportSettings":
        """Settings for a run folder: its resolved config's `llm` section under the flags."""
        from sweepdeck.engine.store import RESOLVED, read_json

        resolved = read_json(Path(run_dir) / RESOLVED) or {}
        llm = (resolved.get("config") or {}).get("llm")
        return cls.resolve(flags, llm if isinstance(llm, dict) else None, env)


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
    notes: list[str] = []                      # for the user: a key withheld, a key file others can read, a cut answer


class ReportInputError(SweepdeckError, ValueError):
    """The run folder cannot be reported on (one line for the user)."""


# --- CLI -------------------------------------------------------------------------------------------

# the dests of add_report_options' flags: each one is the setting it gives
REPORT_FLAGS = ("offline", "model", "base_url", "temperature", "timeout_s", "max_tokens", "api_key_file")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("report")
    g.add_argument("--offline", action="store_true", default=None,
                   help="write the report from the facts by code, without an LLM (no network)")
    g.add_argument("--model", default=None, help="LLM model name (else llm.model, $SWEEPDECK_LLM_MODEL)")
    g.add_argument("--base-url", dest="base_url", default=None, metavar="URL",
                   help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama (else llm.base_url, $OPENAI_BASE_URL)")
    g.add_argument("--temperature", type=float, default=None, metavar="T", help="sampling temperature (default 0.2)")
    g.add_argument("--timeout", dest="timeout_s", type=float, default=None, metavar="SECONDS",
                   help="give up on a silent LLM server after this many seconds per try (default 60)")
    g.add_argument("--max-tokens", dest="max_tokens", type=int, default=None, metavar="N",
                   help="the most tokens the model may write (default 4096, else llm.max_tokens)")
    g.add_argument("--api-key-file", dest="api_key_file", default=None, metavar="PATH",
                   help="file holding the API key (else $OPENAI_API_KEY); the key is never written anywhere")


def report_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The report flags' values (None: not given) for ReportSettings.resolve,
    without the command's other arguments."""
    return {name: getattr(args, name, None) for name in REPORT_FLAGS}


def check_report_options(args: argparse.Namespace) -> None:
    """The report flags' values (ReportInputError), checked before a sweep starts
    so that a typo does not surface only after hours of training."""
    if getattr(args, "timeout_s", None) is not None and args.timeout_s <= 0:
        raise ReportInputError(f"--timeout must be > 0 seconds, got {args.timeout_s:g}")
    if getattr(args, "temperature", None) is not None and not 0 <= args.temperature <= 2:
        raise ReportInputError(f"--temperature must be between 0 and 2, got {args.temperature:g}")
    if getattr(args, "max_tokens", None) is not None and args.max_tokens <= 0:
        raise ReportInputError(f"--max-tokens must be a positive number of tokens, got {args.max_tokens}")


def report_command(run_dir: Path, args: argparse.Namespace) -> int:
    """`sweepdeck report RUN`: write the report, print its path and return 0;
    ReportInputError (one line, exit code 2) for bad input."""
    run_dir = Path(run_dir)
    check_report_options(args)
    try:
        settings = ReportSettings.for_run(run_dir, report_flags(args))
    except ValidationError as exc:  # a bad value in the config's llm section
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ReportInputError(f"invalid report setting llm.{where}: {strip_control(err['msg'])}") from None
    result = generate_report(run_dir, settings)
    for note in result.notes:
        if note not in (result.fallback_reason or ""):
            print(f"note: {strip_control(note)}", file=sys.stderr)
    if not result.used_llm and result.fallback_reason and not settings.offline:
        print(f"offline report: {strip_control(result.fallback_reason)}", file=sys.stderr)
    elif result.used_llm:
        n = len(result.mismatches)
        print(f"LLM report by {strip_control(result.model or '')}: {result.n_numbers_checked} numbers checked, "
              f"{n} mismatch{'es' if n != 1 else ''}" + (f", {len(result.unknown_placeholders)} unknown placeholders"
                                                       if result.unknown_placeholders else ""), file=sys.stderr)
    if result.prompt_chars > 8000 and ":11434" in (settings.base_url or ""):
        print(f"note: the prompt is about {result.prompt_chars // 4} tokens; Ollama silently truncates prompts longer "
              "than its context (2k-4k tokens by default): start it with OLLAMA_CONTEXT_LENGTH=16384", file=sys.stderr)
    print(result.path)
    return 0


# --- when is the LLM used ----------------------------------------------------------------------------

class LLMPlan(NamedTuple):
    reason: Optional[str]    # why the LLM is not used, or None
    key: Optional[str]       # the key to send, or None
    notes: list[str]         # for the user: a key withheld, a key file others can read
    ambient: bool = True     # whether the client may add what it reads from the environment itself


def llm_plan(settings: ReportSettings, env: Optional[dict[str, str]] = None) -> LLMPlan:
    """Whether to use the LLM, and with which key.

    The key (OPENAI_API_KEY or a key file) goes only to OpenAI's own endpoint or to one
    the user named: with --base-url, with OPENAI_BASE_URL, or in code. An endpoint named
    by a config alone still gets the prompt, but no key: a shared config must not be a
    way to collect keys. A key file named only in a config must pass `read_key_file`'s
    checks as well (the user's own file, shaped like a key)."""
    from sweepdeck.engine.llm import is_openai_url, read_key_file, safe_url

    env = os.environ if env is None else env
    if settings.offline:
        return LLMPlan("--offline was given", None, [])
    if not settings.model and not settings.base_url:
        return LLMPlan("no LLM configured: give --model (or llm.model in the config, or $SWEEPDECK_LLM_MODEL), "
                       "or --base-url for a local server such as Ollama", None, [])
    trusted = _endpoint_chosen_by_user(settings, env)
    notes: list[str] = []
    key = None
    if not trusted:
        if settings.api_key_file or env.get("OPENAI_API_KEY"):
            url = safe_url(settings.base_url)
            notes.append(f"the API key was not sent to {url}: only the run's config names that endpoint; "
                         f"to send it there, pass --base-url {url} (or set OPENAI_BASE_URL={url})")
    elif settings.api_key_file:
        found = read_key_file(settings.api_key_file, named_in_config=settings.from_config("api_key_file"))
        if found.problem:
            return LLMPlan(found.problem, None, [])
        key, notes = found.key, found.warnings
    else:
        key = (env.get("OPENAI_API_KEY") or "").strip() or None
    if is_openai_url(settings.base_url) and not settings.model:
        return LLMPlan("no model given for https://api.openai.com: give --model (e.g. gpt-4o-mini) or llm.model", None, [])
    if is_openai_url(settings.base_url) and not key:
        return LLMPlan("no API key for https://api.openai.com: set OPENAI_API_KEY or llm.api_key_file, "
                       "or use --base-url for a local server", None, [])
    return LLMPlan(None, key, notes, ambient=trusted)


def _endpoint_chosen_by_user(settings: ReportSettings, env: dict[str, str]) -> bool:
    from sweepdeck.engine.llm import is_openai_url, same_host

    if is_openai_url(settings.base_url) or not settings.from_config("base_url"):
        return True
    return same_host(settings.base_url, env.get("OPENAI_BASE_URL"))


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
    from sweepdeck.engine import llm
    from sweepdeck.engine.analysis.charts import make_charts
    from sweepdeck.engine.analysis.facts import RunDataError, build_facts, facts_json
    from sweepdeck.engine.analysis.offline import offline_body
    from sweepdeck.engine.analysis.placeholders import fill_placeholders
    from sweepdeck.engine.analysis.sections import (SECTION_TITLES, WRITTEN_BY_SWEEPDECK, charts_section, fact_check_llm,
                                          fact_check_offline, results_table)
    from sweepdeck.engine.analysis.verify import verify
    from sweepdeck.engine.safe_text import safe_markdown
    from sweepdeck.engine.store import write_text_atomic

    t0 = time.monotonic()
    show = _shower(on_text)
    try:
        fs = build_facts(run_dir)
    except RunDataError as exc:
        raise ReportInputError(str(exc)) from None
    plan = llm_plan(settings)
    reason, notes = plan.reason, list(plan.notes)
    if reason is None and fs.ranked.empty:
        reason = "no trial has results yet, so there is nothing for the LLM to interpret"
    write_text_atomic(run_dir / FACTS, facts_json(fs) + "\n")
    charts = make_charts(fs, run_dir)

    title = f"# Sweep report: {fs.name}\n\nRun `{fs.run_id}` · report of {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    answer = None
    prompt_path = None
    prompt_chars = 0
    if reason is None:
        prompt_path = run_dir / PROMPT
        try:
            answer, prompt_chars = _ask_llm(fs, settings, plan, title, prompt_path, show)
        except llm.LLMError as exc:
            reason = f"the LLM request failed: {exc.reason}" + (f" ({notes[0]})" if notes and not plan.ambient else "")
            show(f"\n\n> **The LLM failed** ({reason}); the offline report follows.\n\n")
    n_filled, unknown, mismatches, n_checked = 0, [], [], 0
    if answer is not None:
        ours = tuple(SECTION_TITLES[k].lower() for k in WRITTEN_BY_SWEEPDECK)
        body, dropped = _drop_sections(strip_fences(answer.text), ours)
        filled = fill_placeholders(body, fs)
        n_filled, unknown = filled.n_filled, filled.unknown
        vr = verify(filled.text, fs)
        n_checked, mismatches = vr.n_checked, vr.mismatches
        text_body = mark_mismatches(filled.text, mismatches)
        header = title + f" · text by the LLM `{answer.model}`; every number filled in or checked by sweepdeck (see Fact check)\n"
        cut = f"\n> **The model's answer was cut**: {answer.cut}. Its text below ends there.\n" if answer.cut else ""
        if answer.cut:
            notes.append(f"the model's answer was cut: {answer.cut}")
        table = results_table(fs)
        fact = fact_check_llm(n_filled, n_checked, mismatches, unknown)
        if dropped:
            fact += ("\n\nThe model's own " + ", ".join(f"“{d}”" for d in dropped)
                     + " section" + ("s were" if len(dropped) > 1 else " was") + " replaced by sweepdeck's.")
        tail = "\n\n" + charts_section(charts) + "\n\n" + fact + "\n"
        # the table of all trials goes where the offline report has it: after the overview
        markdown = safe_markdown(header + cut + "\n" + _after_overview(text_body.strip(), table) + tail)
        show("\n" + cut + "\n" + table + tail)
    else:
        body = offline_body(fs)
        vr = verify(body, fs)
        n_checked, mismatches = vr.n_checked, vr.mismatches
        why = f"\n\n> **Offline report** (written by code from the facts, no LLM): {reason}.\n"
        fact = fact_check_offline(n_checked, mismatches)
        rest = safe_markdown(why + "\n" + body + "\n\n" + charts_section(charts) + "\n\n" + fact + "\n")
        markdown = safe_markdown(title) + rest
        show(rest.lstrip("\n") if prompt_path else markdown)
    path = run_dir / REPORT
    write_text_atomic(path, markdown)
    if prompt_path is None:
        (run_dir / PROMPT).unlink(missing_ok=True)  # a prompt from an earlier LLM report would mislead
    return ReportResult(
        path=path, used_llm=answer is not None, fallback_reason=None if answer else reason, n_numbers_checked=n_checked,
        mismatches=[m.as_dict() for m in mismatches], unknown_placeholders=unknown, n_placeholders_filled=n_filled,
        model=answer.model if answer else None, prompt_path=prompt_path, markdown=markdown, prompt_chars=prompt_chars,
        seconds=round(time.monotonic() - t0, 3), notes=notes,
    )


def _shower(on_text: Optional[Callable[[str], None]]) -> Callable[[str], None]:
    """`on_text` for text bound for a screen: never an escape sequence (run names come from shared folders)."""
    from sweepdeck.engine.safe_text import strip_control

    def show(text: str) -> None:
        if text and on_text is not None:
            on_text(strip_control(text))
    return show


def _ask_llm(fs: Any, settings: ReportSettings, plan: LLMPlan, title: str, prompt_path: Path,
             show: Callable[[str], None]) -> tuple[Any, int]:
    """(the LLM's answer, prompt size). Writes report_prompt.md and streams the answer to
    `show` as it comes: escape sequences and the key removed, placeholders filled.
    Raises LLMError."""
    from sweepdeck.engine import llm
    from sweepdeck.engine.analysis.prompt import build_prompt, prompt_file_text
    from sweepdeck.engine.analysis.placeholders import StreamFiller
    from sweepdeck.engine.safe_text import CleanStream, strip_control
    from sweepdeck.engine.store import write_text_atomic

    system, user, sources = build_prompt(fs)
    system, user = strip_control(system), strip_control(user)  # run names and labels come from the run folder

    def save_prompt(model: Optional[str]) -> None:
        write_text_atomic(prompt_path, llm.redact_key(prompt_file_text(system, user, model, sources), plan.key))

    save_prompt(settings.model)
    show(title + f" · LLM: {settings.model or 'server default'} at {llm.safe_url(settings.base_url)}\n\n")
    filler = StreamFiller(fs)
    # holding back len(key) - 1 characters lets a key split across chunks be seen whole
    clean = CleanStream(lambda s: llm.redact_key(s, plan.key), hold=len(plan.key or "") - 1)
    try:
        answer = llm.chat(
            [{"role": "system", "content": system}, {"role": "user", "content": user}],
            model=settings.model, base_url=settings.base_url, api_key=plan.key, ambient=plan.ambient,
            temperature=settings.temperature, timeout_s=settings.timeout_s, max_retries=settings.max_retries,
            max_tokens=settings.max_tokens, stream=settings.stream,
            on_chunk=lambda piece: show(filler.feed(clean.feed(piece))))
    finally:  # what was held back is shown even when the answer broke off
        show(filler.feed(clean.finish()) + filler.finish())
    answer.text = llm.redact_key(strip_control(answer.text), plan.key)
    if answer.model != settings.model:  # picked from the server's list: say which
        save_prompt(answer.model)
    return answer, len(system) + len(user)


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


def strip_fences(text: str) -> str:
    """Models sometimes wrap the whole answer in ```markdown ... ```."""
    s = text.strip()
    if s.startswith("```") and s.endswith("```") and s.count("```") == 2:
        s = s.split("\n", 1)[1] if "\n" in s else ""
        s = s[: s.rfind("```")]
    return s


def mark_mismatches(text: str, mismatches: list[Any]) -> str:
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
