"""Trial labels fitted to a column: the swept values are what tells two trials
apart, so a label that does not fit loses the letters of its keys first and is
cut only as a last resort, and then from the end that the trials share.

A label is the engine's (`sweepdeck.engine.trials.make_label`): `key=value`
parts for what varies, in the grid's order, so the last part changes from one
trial to the next and the first one seldom does. No Textual here.
"""

from __future__ import annotations

from typing import Sequence

# Shorter names for the engine's longer label keys; values are never shortened.
SHORT_KEYS: dict[str, str] = {"depth_norm": "dn", "feat_norm": "fn", "seed": "sd", "opt": "op", "bias": "b"}
ELLIPSIS = "…"


def short_keys(label: str) -> str:
    """`depth_norm=False lr=0.1` -> `dn=False lr=0.1`."""
    parts = []
    for part in label.split(" "):
        key, eq, value = part.partition("=")
        parts.append(f"{SHORT_KEYS.get(key, key)}={value}" if eq else part)
    return " ".join(parts)


def fastest_first(label: str) -> str:
    """The parts in reverse grid order: the one that changes from trial to trial first."""
    parts = label.split(" ")
    return " ".join(reversed(parts)) if all("=" in p for p in parts[1:]) else label


def cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)].rstrip() + ELLIPSIS if width > 0 else ""


PENALTY_SHORT = {"sum": "s", "mul": "m"}


def values_only(label: str) -> tuple[str, str]:
    """(`s=0.0001 0.1 False`, `lr dn`): the keys after the penalty go to the
    column's header; the penalty keeps a letter of its type (s=, m=; no-reg)."""
    parts = label.split(" ")
    keys = [p.partition("=")[0] for p in parts[1:]]
    if not parts[1:] or not all("=" in p for p in parts[1:]):
        return label, ""
    key, eq, value = parts[0].partition("=")
    first = f"{PENALTY_SHORT.get(key, key)}={value}" if eq else parts[0]
    return " ".join([first] + [p.partition("=")[2] for p in parts[1:]]), " ".join(keys)


def fit_labels_with_header(labels: Sequence[str], width: int) -> tuple[list[str], str]:
    """Every label within `width` characters, all in the same form (so a column
    reads alike), and the keys the column's header must name (empty if none):
    as they are; else with short keys; else the values alone in the grid's order,
    their keys in the header; else fastest-varying part first, cut at the end.
    Values are never abbreviated."""
    labels = list(labels)
    if all(len(s) <= width for s in labels):
        return labels, ""
    short = [short_keys(s) for s in labels]
    if all(len(s) <= width for s in short):
        return short, ""
    bare = [values_only(s) for s in short]
    headers = {h for _, h in bare}
    if len(headers) == 1 and headers != {""}:
        if all(len(s) <= width for s, _ in bare):
            return [s for s, _ in bare], headers.pop()
        # Fastest-varying value first: the cut falls on what neighbouring trials share.
        keys = headers.pop().split(" ")
        flipped = [" ".join([*reversed(s.split(" ")[1:]), s.split(" ")[0]]) for s, _ in bare]
        return [cut(s, width) for s in flipped], " ".join(reversed(keys)) + " pen"
    return [cut(fastest_first(s), width) for s in short], ""


def fit_labels(labels: Sequence[str], width: int) -> list[str]:
    """fit_labels_with_header without the values-only form (where no header can name the keys)."""
    labels = list(labels)
    if all(len(s) <= width for s in labels):
        return labels
    short = [short_keys(s) for s in labels]
    if all(len(s) <= width for s in short):
        return short
    return [cut(fastest_first(s), width) for s in short]


def fit_label(label: str, width: int) -> str:
    return fit_labels([label], width)[0]
