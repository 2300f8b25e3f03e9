"""report.md laid out for the Report pane's width, at render time; no Textual here.

report.md is also read in a pager, an editor and on GitHub, so it keeps its full
tables and 78-column charts; what changes is what the TUI shows of it:

- a table wider than the pane first loses the columns that say the same thing in
  every row (a line under it says what they held: `Status: completed in every row.`),
  then is split into tables of fewer columns that each repeat the first one (the
  trial), as a wide data frame is printed: every value stays, none is cut to `8…`;
- a text chart of the report (a code block under its `**title**`) is replaced by the
  same chart drawn at the pane's width, when the screen has one (`charts`).

Widths are estimated as Textual's Markdown table draws them here (sweepdeck.tcss:
no rules): a column as wide as its widest cell or its header, one space of padding
on each side, one column between columns. (Short of room, Textual shrinks columns
from the left down to their longest word, so `84.62% (8)` would wrap under a long
header: a narrowed table never needs it to.)
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Optional

_FENCE = re.compile(r"^\s*(```+|~~~+)")
_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR = re.compile(r"^\s*\|(\s*:?-+:?\s*\|)+\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_BOLD_TITLE = re.compile(r"^\*\*(.+)\*\*\s*$")
_MARKUP = re.compile(r"\*\*|`|(?<!\\)\*|\\(?=[|*_`])")


def shown_len(cell: str) -> int:
    """The width a cell takes once its Markdown (bold, code, escapes) is rendered."""
    return len(_MARKUP.sub("", cell))


def split_row(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip() for c in _CELL_SPLIT.split(inner)]


def column_need(header: str, cells: list[str]) -> int:
    """A column's width: its widest cell or its header, whole."""
    return max([shown_len(header), *(shown_len(c) for c in cells)])


def table_width(needs: list[int]) -> int:
    return sum(n + 2 for n in needs) + len(needs) - 1


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]], cols: list[int]) -> list[str]:
    out = [_row([header[c] for c in cols]), "|" + "|".join("---" for _ in cols) + "|"]
    out += [_row([r[c] for c in cols]) for r in rows]
    return out


def fit_table(header: list[str], rows: list[list[str]], width: int) -> list[str]:
    """A Markdown table as lines that fit `width` columns (see the module's docstring)."""
    n = len(header)
    rows = [r + [""] * (n - len(r)) for r in rows]
    needs = [column_need(header[c], [r[c] for r in rows]) for c in range(n)]
    cols = list(range(n))
    if table_width(needs) <= width or n < 2:
        return _table(header, rows, cols)
    notes = []
    if len(rows) >= 2:  # a value every row shares says nothing about the row
        for c in range(1, n):
            values = {r[c] for r in rows}
            if len(values) == 1:
                cols.remove(c)
                value = values.pop()
                notes.append(f"{header[c]}: {value} in every row." if value else f"{header[c]}: empty in every row.")
    groups = split_columns(cols[1:], lambda g: table_width([needs[i] for i in [0, *g]]), width)
    out: list[str] = []
    for g in groups or [[]]:
        if out:
            out.append("")
        out += _table(header, rows, [0, *g])
    if notes:
        out += ["", " ".join(notes)]
    return out


def split_columns(cols: list[int], width_of: Callable[[list[int]], int], width: int) -> list[list[int]]:
    """`cols` cut, in order, into groups that fit `width` (each group's width by `width_of`),
    each as full as it can be: the report orders a table's columns (the trial's
    parameters, then its results), so neighbours stay together."""
    groups: list[list[int]] = []
    for c in cols:
        if groups and width_of([*groups[-1], c]) <= width:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def fit_report(markdown: str, width: int, charts: Optional[Mapping[str, str]] = None) -> str:
    """`markdown` with its wide tables narrowed to `width` and its text charts swapped for
    `charts` (title → chart text); everything else as it is."""
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            mark = fence.group(1)
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(mark)), len(lines))
            above = _BOLD_TITLE.match(next((p for p in reversed(out) if p.strip()), "").strip())
            title = above.group(1) if above else None
            if charts and title in charts and end < len(lines):
                out += [line, *charts[title].split("\n"), lines[end]]
            else:
                out += lines[i:end + 1]
            i = end + 1
            continue
        if _ROW.match(line) and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            end = i + 2
            while end < len(lines) and _ROW.match(lines[end]):
                end += 1
            header = split_row(line)
            rows = [split_row(r) for r in lines[i + 2:end]]
            out += fit_table(header, rows, width)
            i = end
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def widest_fence_line(markdown: str) -> int:
    """The longest line inside a code block (a chart wider than the pane shows this)."""
    widest = 0
    inside: Optional[str] = None
    for line in markdown.split("\n"):
        fence = _FENCE.match(line)
        if inside is None and fence:
            inside = fence.group(1)
        elif inside is not None and line.strip().startswith(inside):
            inside = None
        elif inside is not None:
            widest = max(widest, len(line))
    return widest
