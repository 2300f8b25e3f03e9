"""Text from outside made safe to show in a terminal or to save as Markdown.

LLM answers, a server's error body and everything in a shared run folder (run names,
trial labels, error messages) are untrusted. A terminal obeys the escape sequences in
what it prints (clear the screen, set the window title, switch to the alternate screen,
hide a link behind other text with OSC 8), and a Markdown file opened in a browser may
run raw HTML. Everything such text goes through before it is printed, shown or
written is here, so the CLI, the engine and the TUI share one definition.

Standard library only: the TUI imports this module.
"""

from __future__ import annotations

import re
from typing import Callable

# ECMA-48: CSI (ESC [ or 8-bit 0x9B) parameters, intermediates, one final byte.
_CSI = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
# OSC, DCS, SOS, PM, APC (7- or 8-bit introducer) up to their terminator: ST (ESC \ or 0x9C), or BEL for OSC.
# The body excludes ESC, BEL and ST, so a string that never ends costs one scan, not one per character.
_STRING = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
# Any other escape: intermediates then a final byte (ESC c resets the terminal, ESC ( 0 switches charsets).
_OTHER = r"\x1b[ -/]*[0-OQ-WYZ\\`-~]"
_SEQUENCE = re.compile(f"{_CSI}|{_STRING}|{_OTHER}")
# What is left: C0 except tab and newline, DEL, C1, and the bidi controls that make text
# read differently from how it is stored (a "Trojan Source" trick).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_INTRODUCERS = "\x1b\x90\x98\x9b\x9d\x9e\x9f"
_STRING_START = re.compile("\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f]")
MAX_HELD = 4096  # an unfinished sequence longer than this is let through (stripped, its text shown)


def strip_control(text: str) -> str:
    """`text` without terminal escape sequences and control characters (tab and newline stay).
    A sequence that is not finished loses its introducer, so its text shows, harmlessly."""
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def _open_sequence(text: str) -> int:
    """Where an escape sequence that the next piece of text may finish starts (len(text) if none)."""
    start = max(0, len(text) - MAX_HELD)
    strings = list(_STRING_START.finditer(text, start))
    if strings:
        j = strings[-1].start()
        if re.fullmatch("[^\x07\x1b\x9c]*\x1b?", text[strings[-1].end():]):
            return j  # an OSC/DCS/... string still waiting for its terminator
    i = max(text.rfind(c, start) for c in _INTRODUCERS)
    if i < 0 or _SEQUENCE.match(text, i):
        return len(text)
    if re.fullmatch(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*|\x1b[ -/]*", text[i:]):
        return i
    return len(text)


class CleanStream:
    """`strip_control`, then `more` (e.g. redacting a key), over text that arrives in pieces.

    A sequence split between two pieces is held back until it is complete, and the last
    `hold` characters are held back too, so that `more` sees, whole, anything of up to
    `hold + 1` characters that straddles two pieces."""

    def __init__(self, more: Callable[[str], str] = lambda s: s, hold: int = 0):
        self._more = more
        self._hold = max(0, hold)
        self._buf = ""

    def feed(self, piece: str) -> str:
        self._buf += piece
        cut = _open_sequence(self._buf)
        ready = self._more(strip_control(self._buf[:cut]))
        keep = min(self._hold, len(ready))
        out = ready[:len(ready) - keep]
        self._buf = ready[len(ready) - keep:] + self._buf[cut:]
        return out

    def finish(self) -> str:
        out, self._buf = self._more(strip_control(self._buf)), ""
        return out


# Raw HTML that would run or restyle the page when report.md is opened in a browser.
_ACTIVE_TAG = re.compile(r"<(?=\s*/?\s*(?:script|style|iframe|frame|frameset|object|embed|applet|meta|link|base|form"
                         r"|svg|math|template)\b)", re.I)
_HANDLER_TAG = re.compile(r"<(?=[a-z][^<>]*?[\s/\"']on[a-z]+\s*=)", re.I)  # <img src=x onerror=...>
_SCRIPT_URL = re.compile(r"\b(j\s*a\s*v\s*a\s*|v\s*b\s*)(s\s*c\s*r\s*i\s*p\s*t)\s*:", re.I)
_ENTITY = re.compile(r"&(?=#?[0-9a-z]+;)", re.I)  # &#106;avascript: and &colon; decode to a script URL


def neutralise_html(markdown: str) -> str:
    """Markdown whose raw HTML cannot run: `<` of active tags and of tags with `on…=` handlers
    escaped, `javascript:`/`vbscript:` URLs broken, character references shown as text.
    Ordinary Markdown (links, tables, emphasis, `a < b`) is left as it is."""
    text = _ENTITY.sub("&amp;", markdown)
    text = _ACTIVE_TAG.sub("&lt;", text)
    text = _HANDLER_TAG.sub("&lt;", text)
    return _SCRIPT_URL.sub(lambda m: m.group(1) + m.group(2) + "-blocked:", text)


def safe_markdown(markdown: str) -> str:
    """Markdown fit to save and to open anywhere: no control sequences, no active HTML."""
    return neutralise_html(strip_control(markdown))
