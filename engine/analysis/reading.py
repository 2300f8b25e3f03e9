"""How the checker reads Markdown: prose without its markup, text cut into bounded
spans, and the numbers in it that make a claim (not t007, CIFAR-10 or 12:30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from sweepdeck.engine.analysis.vocabulary import APPROX, BOUND_ABOVE, BOUND_BELOW, NUMBER, RANGE_START

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_CODE = re.compile(r"`([^`]*)`")


def prose_text(line: str) -> str:
    """A Markdown line as the words a reader sees: link texts, code spans without
    backticks, no list marker, no emphasis."""
    line = _LINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", " ", line)      # list markers
    line = re.sub(r"(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)", "", line)  # emphasis (keeps snake_case)
    return line


MAX_SPAN = 400  # characters: every number's context is sought within its span, so a bound keeps checking linear


def sentences(text: str) -> list[str]:
    """`text` cut into sentences and clauses set off by ";" or a dash, each bounded."""
    # "... end. t027 was ..." starts a sentence; "Ranking: 1. X, 2. Y" does not (a list inside one)
    # ("t000 vs. t006", "e.g. t004": an abbreviation's point ends no sentence)
    parts = re.split(r"(?<=[.!?])(?<![:,]\s\d\.)(?<!\bvs\.)(?<!e\.g\.)(?<!i\.e\.)(?<!\bcf\.)(?<!approx\.)\s+"
                     r"(?=[A-Z(\"'*λ]|t\d{3}|(?:lr|wn|bs)\s*=)|;\s+|\s+[—–]\s+", text)
    return [q for p in parts if p.strip() for q in bounded(p)]


def bounded(text: str, limit: int = MAX_SPAN) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at spaces where there are some.
    No real sentence or table cell is that long; an LLM answer of one endless line is."""
    out = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out


def numbers(text: str) -> Iterable[re.Match[str]]:
    """The numbers in `text` that may carry a claim (NUMBER matches), without those
    inside names, dates, times and ratios."""
    for m in NUMBER.finditer(text):
        s = m.start()
        before = text[max(0, s - 1):s]
        after = text[m.end("num"):m.end("num") + 1] if not m.group("unit") else ""
        if before and (before.isalpha() or before in "_./\\" or (before == "-" and s >= 2 and text[s - 2].isalnum())):
            continue  # t007, CIFAR-10, v1.2, 3/4
        if m.group("sign") and s >= 1 and (text[s - 1].isalnum()):
            continue
        if after and (after.isalpha() and not text[m.end("num"):].lower().startswith(("st ", "nd ", "rd ", "th ")) or after in "_"):
            continue  # 3x3, 2nd handled as ranks
        if after == "-" and text[m.end("num") + 1:m.end("num") + 2].isalnum():
            continue  # 20260101-120000
        if re.match(r"(st|nd|rd|th)\b", text[m.end("num"):]):
            continue
        if re.match(r"\s*[:/]\s*\d", text[m.end():]) or (s >= 1 and text[s - 1] == ":"):
            continue  # times and ratios 12:30, 3/4
        yield m


# "no lr = 0.003 run had yet reached 57%": a limit none met (the limit check reads the negation)
_NOT_REACHED = re.compile(r"\b(?:no|none|not one|not a single|never)\b[^,;]{0,40}\b(?:reach\w*|hit|cross\w*|broke|break\w*|"
                          r"top(?:s|ped)?|clear\w*|pass\w*)\s+(?:the\s+)?~?$", re.I)


_NEAR_BOUND = re.compile(r"\b(?:just|slightly|a little|a bit|a touch|barely|marginally|fractionally|narrowly)\s+(?:under|below|over|above|"
                         r"short of|shy of|less than|more than|higher than|lower than)\s*~?$", re.I)


@dataclass
class Quoted:
    """A number as a report wrote it, and how closely a fact must match it."""

    raw: str    # as written, sign and unit included: "87.08%", "−3.1 pp"
    x: float    # its value, signed
    dec: int    # decimals written (0 in exponent form)
    unit: str   # as written, lower case: "%", "pp", "percentage points", "min", "epochs/s"... or ""
    approx: bool = False   # "~89.2%", "about 2 pp": rounded as written, with a tenth of a unit of slack (0.6 of the last digit)
    bound: Optional[str] = None   # ">" for "above 86%", "<" for "below 0.45": a limit, not a value
    span: Optional[tuple[float, float]] = None   # "between 5.4 and 6.5 pp", "56–59%": both ends, as written
    near: bool = False     # "just under 87%", "slightly above 0.3": the limit, and within one unit of its last digit
    at: int = -1           # where it starts in the text it was read from (a sentence may write "86%" twice)
    tol: float = field(init=False)   # half a unit of the last decimal written: 87.1 stands for 87.05 to 87.15
    pct: bool = field(init=False)
    pp: bool = field(init=False)

    def __post_init__(self) -> None:
        self.tol = (0.6 if self.approx else 0.5) * 10 ** (-self.dec) * (1 + 1e-6) + 1e-12
        self.pct = self.unit == "%"
        self.pp = self.unit == "pp" or self.unit.startswith(("percentage", "point"))

    @classmethod
    def read(cls, m: re.Match[str]) -> Optional["Quoted"]:
        """The number a NUMBER match wrote (None if it does not read as one)."""
        num = m.group("num").replace(",", "")
        try:
            x = float(num)
        except ValueError:
            return None
        if m.group("sign") in ("-", "−"):
            x = -x
        dec = len(num.split(".")[1]) if "." in num and "e" not in num.lower() else 0
        unit = (m.group("unit") or "").strip().lower()
        before = m.string[max(0, m.start() - 40):m.start()]
        span = _span(m)
        approx = bool(APPROX.search(before)) or (span is not None and bool(APPROX.search(before_range(m))))
        bound = ">" if BOUND_ABOVE.search(before) or _NOT_REACHED.search(before) else "<" if BOUND_BELOW.search(before) else None
        if bound is None and span is None:  # "reached 88% or better", "0.30 or less": the limit written after the number
            after = re.match(r"\s*(?:or|and)\s+(better|higher|more|above|greater|over|up|worse|lower|less|below|under|fewer)\b",
                             m.string[m.end():m.end() + 20], re.I)
            if after:
                bound = ">" if after.group(1).lower() in ("better", "higher", "more", "above", "greater", "over", "up") else "<"
        if span is not None and not unit:
            tail = _RANGE_TAIL.match(m.string[m.end():m.end() + 40])
            unit = (tail.group(2) or "") if tail else ""  # "56–59%": the first end is a percentage too
        near = bound is not None and bool(_NEAR_BOUND.search(before))
        return cls(m.group(0).strip(), x, dec, unit, approx, bound, span, near, m.start() + (len(m.group(0)) - len(m.group(0).lstrip())))

    def where(self, text: str) -> int:
        """Its position in `text`: where it was read, when `text` is that text, else the first place it is written."""
        return self.at if 0 <= self.at and text[self.at:self.at + len(self.raw)] == self.raw else text.find(self.raw)

    @property
    def shown(self) -> str:
        """The value without the writer's formatting: 87.08%, 0.8708."""
        return f"{self.x:g}%" if self.pct else f"{self.x:g}"


def value_of(v: Any) -> Any:
    """A value as written (0.001, True, f_out) as Python: a float, a bool, else as it was."""
    try:
        return float(v)
    except (TypeError, ValueError):
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        return v


_NUM = r"[-+−]?\d+(?:\.\d+)?"
_RANGE_TAIL = re.compile(r"^\s*(?:%|pp|percentage points?)?\s*(?:–|-|—|to|and)\s*~?\s*(" + _NUM + r")\s?(%|pp\b)?")
_RANGE_HEAD = re.compile(r"(" + _NUM + r")\s*(?:%|pp|percentage points?)?\s*(?:–|-|—|to|and)\s*~?\s*$")


def _span(m: re.Match[str]) -> Optional[tuple[float, float]]:
    """Both ends when the number is one end of a range: "between A and B", "ranged from A
    to B", "A–B". "from A to B" alone is a change, not a range (each end is a value)."""
    s = m.string
    after = _RANGE_TAIL.match(s[m.end():m.end() + 40])
    if after and (RANGE_START.search(s[max(0, m.start() - 30):m.start()]) or after.group(0).strip()[:1] in "–-—"):
        return _pair(m.group("num"), after.group(1))
    head = _RANGE_HEAD.search(s[max(0, m.start() - 40):m.start()])
    if head:
        lead = s[max(0, m.start() - 40):m.start()][:head.start()]
        joiner = head.group(0)[len(head.group(1)):].strip(" %~").strip()
        if RANGE_START.search(lead[-30:]) or joiner[:1] in "–-—":
            return _pair(head.group(1), m.group("num"))
    return None


def before_range(m: re.Match[str]) -> str:
    """The text before a range that `m` ends ("after one epoch versus " for the 57% of "versus 55–57%")."""
    head = _RANGE_HEAD.search(m.string[max(0, m.start() - 40):m.start()])
    return m.string[max(0, m.start() - 70):m.start() - (len(head.group(0)) if head else 0)]


def after_range(m: re.Match[str]) -> str:
    """The text after the range `m` starts or ends ("after epoch 1" for the 58% of "between 58% and
    59.5% after epoch 1"): the words after a range are said of both ends."""
    tail = _RANGE_TAIL.match(m.string[m.end():m.end() + 40])
    return m.string[m.end() + (tail.end() if tail else 0):]


def _pair(a: str, b: str) -> Optional[tuple[float, float]]:
    try:
        lo, hi = float(a.replace("−", "-").replace(",", "")), float(b.replace("−", "-").replace(",", ""))
    except ValueError:
        return None
    return (lo, hi) if lo <= hi else None
