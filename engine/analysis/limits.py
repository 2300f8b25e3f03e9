"""Numbers that are not a fact's value: a value a curve held at some epoch, and limits and ranges.

- **Per-epoch values** ("started at 58.9%", "was at 78.9% at epoch 8"): a quoted accuracy
  or loss that no best/final fact holds is true when the curve of one of the trials the
  sentence is about holds it, at the epoch named next to the number if one is named
  ("in epoch 1", "by epoch 5", "after the first epoch"; "started at" is epoch 1).
- **Limits** ("above 86%", "below 0.45", "at least", "up to", "within 1 pp") and **ranges**
  ("between 5.4 and 6.5 pp", "56–59%", "ranged from A to B"): checked as inequalities on
  the values of the trials the sentence is about (named trials, else the trials of the
  experiment types named, else all trials with results; only completed ones when it says
  "completed"). Which value: the epoch's value when an epoch is named ("by epoch N": the
  highest up to N), else the final one when the words say final, else the best; a gap is
  the final train − test gap, a margin the trial's margin, a loss its final loss.
  With "all", "every", "each", "both" or a plural subject ("the lr = 0.03 runs") every
  value must meet the limit; with "others", "some", "most" or none of these, one must.

Numbers keep the tolerance of the digits shown; "~", "≈", "about", "around", "roughly",
"nearly", "approximately" double it (one unit of the last digit: ~89.2% stands for 89.1–89.3).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional, Union

from sweepdeck.engine.analysis.context import Ctx
from sweepdeck.engine.analysis.curves import CURVE_COLUMNS
from sweepdeck.engine.analysis.facts import format_value
from sweepdeck.engine.analysis.reading import Quoted
from sweepdeck.engine.analysis.vocabulary import (BOUNDARY, CURVE_WORDS, EXISTENTIAL, NUMBER_WORDS, RANGED, TYPE_WORDS, UNIVERSAL,
                                                  count_of)

if TYPE_CHECKING:
    from sweepdeck.engine.analysis.verify import Verifier

_PLURAL_SUBJECT = re.compile(r"\b(runs|trials|configurations|models|experiments|settings)\b", re.I)
_RULE = re.compile(r"\b(rule|threshold|criterion|defined as|counts? as|flag(?:ged|s)? (?:when|if)|is flagged|when the|if the)\b",
                   re.I)
_OTHERS = re.compile(r"\b(?:every|all|each)\s+other\b|\ball\s+(?:the\s+)?others\b|"
                     r"\bthe rest\b(?!\s+of\s+(?:the\s+)?(?:training|run|sweep|epochs?|schedule))|"  # not "for the rest of training"
                     r"\bthe\s+other\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\b", re.I)
_BY_MARGIN = re.compile(r"\b(?:(?P<behind>trail\w*|lag\w*(?:\s+behind)?|(?:is|was|sits?|sat|finish\w*|end\w*)\s+behind|f[ae]ll\w*\s+short\s+of)|"
                        r"lead\w*|beat\w*|outperform\w*|top\w*|(?:is|was|sits?|sat|finish\w*|end\w*)\s+ahead\s+of)\s+"
                        r"(?P<whom>[^,;]{1,60}?)\s+by\s+(?:more than|over|at least|less than|under|at most|well over|just over)\s*$", re.I)
_BEHIND_WHOM = re.compile(r"\s*(?:pp|percentage points?)?\s+(?P<dir>behind|short of|off|ahead of|clear of)\s+(?P<whom>[^,;.]{0,40})", re.I)
_EFFECT = re.compile(r"\b(?:effect|impact|influence|matter(?:s|ed)?|made\s+(?:little|no)\s+difference)\b", re.I)
_EFFECT_PARAMS = [("batchsize", r"\bbatch[ _]?sizes?\b|\bbs\b"), ("lr", r"\blearning[ _]rates?\b|\blr\b"),
                  ("wn", r"\bweight[ -]norm\w*|\bwn\b"), ("seed", r"\bseeds?\b")]
_OF_ITS_BEST = re.compile(r"\s*(?:pp|percentage points?)?\s+(?:of|from|below|short of)\s+(?:its|their)\s+(?:own\s+)?"
                          r"(?:best|peak|maximum|high)\b", re.I)
_WANDER = re.compile(r"\b(fluctuat\w*|oscillat\w*|hover\w*|bounc\w*|stay\w*|stayed|remain\w*|var(?:ied|ies|y)|mov\w*|"
                     r"sat|sits?)\b", re.I)
_SPREAD = re.compile(r"\b(spread|range|difference|between the best and|from best to worst)\b", re.I)
# a negated limit over a group: "no run exceeds", "none of them fell below" ("never" only with a trial named in
# its clause: in "..., but it never got above 85%" the pronoun's trial is not read)
_BEST_NAMED = re.compile(r"\b(?:best|highest|peak|maximum)\s+(?:\w+\s+)?(?:test\s+|train(?:ing)?\s+)?accuracy\s+"
                         r"(?:was|is|of|stood at|came to|reached|:)?\s*(?:about\s+|roughly\s+|~)?$", re.I)
# "Eleven runs end with a gap above 5 pp", "only 4 of the 6 runs stayed below 87%": how many trials meet the limit
_COUNTED = re.compile(r"^\W*(?:only\s+|exactly\s+|just\s+)?(?P<n>\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s*"
                      r"(?:(?:of\s+(?:the\s+|all\s+)?|/\s*)(?P<whole>\d+|" + "|".join(NUMBER_WORDS) + r")\b)?\s*"
                      r"(?P<noun>(?:[\w=.λ-]+\s+){0,3}?(?:runs?|trials?|configurations?|configs?|models?)\b)?", re.I)
_NEGATED = re.compile(r"\b(?:no(?![-_ ]?(?:reg\w*|regulari[sz]\w*|penalty))|none|not one|not a single)\b[^,;]{0,60}$", re.I)
_NEVER = re.compile(r"\b(?:never|did not|didn't|does not|doesn't)\b[^,;]{0,30}$", re.I)
_FINAL = re.compile(r"\b(final|last|end(?:s|ed)?|finish(?:es|ed)?|at the end)\b", re.I)


def _within_of(v: "Verifier", q: Quoted, quote: str) -> Optional[Union[tuple[str, str], str]]:
    """"the top Multiplication run is within 0.3 pp of the top Summation run", "the bs = 32 and bs = 128
    means are within 0.15 pp of each other": the distance between the two sides' best test accuracies (a
    trial's own, a group's mean, or its best or worst trial's, as the words say). None: not this shape;
    "": it holds."""
    at = q.where(quote)
    head = re.split(r"[;:]|,\s|\.\s", quote[:at])[-1]
    of = re.match(r"\s*(?:pp|percentage points?|points?)?\s+of\s+(?:each other|one another|(?P<other>[^,;]{1,60}))",
                  quote[at + len(q.raw):], re.I)
    if not re.search(r"\bwithin\s*$", head, re.I) or not of or re.match(r"(?:its|their)\b", of.group("other") or "", re.I):
        return None
    left = head[:re.search(r"\bwithin\s*$", head, re.I).start()]
    if of.group("other"):
        sides = [left, of.group("other")]
    else:
        sides = re.split(r"\s+(?:and|vs\.?|versus)\s+", re.sub(r"\b(?:are|were|is|was|sit|sat|stay\w*)\b.*$", "", left), maxsplit=1)
        if len(sides) != 2:
            return None
        sides[1] = sides[1] + " " + re.sub(r"^.*?\b(means?|averages?|runs?|trials?)\b.*$", r"\1", left)  # "... means"
    who = [v.claims.resolve(x) for x in sides]
    if any(w is None or not w[0] for w in who) or who[0][0] == who[1][0]:
        return None
    def pick(text: str, ids: set[str]) -> float:  # "Multiplication's best", "the top Summation run": its best trial
        if re.search(r"\b(?:best|top|strongest|winner|leader)\b", text, re.I):
            return max(v.claims.best[t] for t in ids)
        if re.search(r"\b(?:worst|weakest|bottom)\b", text, re.I):
            return min(v.claims.best[t] for t in ids)
        return sum(v.claims.best[t] for t in ids) / len(ids)
    if not all(w[0] <= v.claims.best.keys() for w in who):
        return None
    a, b = (pick(x, w[0]) for x, w in zip(sides, who))
    d = abs(a - b) * 100
    if d < q.x + 1e-9:
        return ""
    return (f"{v.claims._group_name(who[0])} and {v.claims._group_name(who[1])} said to be within {q.raw} of each other",
            f"by best test accuracy they are {d:.2f} pp apart ({a * 100:.2f}% against {b * 100:.2f}%)")


def _behind_limit(v: "Verifier", q: Quoted, tid: str, whom: str, ahead: bool) -> Optional[tuple[str, str]]:
    """"t009 finishes less than 1 pp behind the overall winner t003", "t001 is more than 5 pp ahead of
    t000": the distance between the two best test accuracies (the other trial is the one named after
    "behind", else the best run)."""
    named = v.reader.trials_in(whom) or set()
    other = next(iter(named)) if len(named) == 1 else v.ranked[0] if v.ranked and not ahead else None
    if other is None or other == tid:
        return None
    a, b = (float(v.rows[x]["test_acc_best"]) * 100 for x in (tid, other))
    d = a - b if ahead else b - a
    side = "ahead of" if ahead else "behind"
    holds = d < q.x + 1e-9 if q.bound == "<" else d > q.x - 1e-9
    return None if holds else (f"{v.who(tid)} said to be {'under' if q.bound == '<' else 'over'} {q.raw} {side} {v.who(other)}",
                               f"by best test accuracy it is {d:.2f} pp {side} it ({a:.2f}% against {b:.2f}%)")


def _effect_of(v: "Verifier", clause: str) -> Optional[tuple[str, float]]:
    """(parameter, spread of its mean best test accuracies) for a clause about one parameter's effect."""
    if not _EFFECT.search(clause):
        return None
    keys = [k for k, rx in _EFFECT_PARAMS if re.search(rx, clause, re.I)]
    fact = v.fs.facts.get(f"sens.{keys[0]}.test_acc_best_mean_range") if len(keys) == 1 else None
    return (keys[0], float(fact.value)) if fact is not None and isinstance(fact.value, (int, float)) else None


def _within_own_best(v: "Verifier", q: Quoted, group: list[str]) -> Optional[tuple[str, str]]:
    """"Every run finished within 1 pp of its own best": each trial's drop from its best test accuracy
    to its final one is under the limit."""
    drops = [(t, best - final) for t in group
             if (best := v.rows[t].get("test_acc_best")) == best and (final := v.rows[t].get("test_acc_final")) is not None
             and final == final]
    over = [(t, d) for t, d in drops if d * 100 >= q.x + 1e-9]
    if not over:
        return None
    t, d = max(over, key=lambda td: td[1])
    return (f"{'every one of the ' + str(len(drops)) + ' trials meant' if len(drops) > 1 else v.who(t)} said to finish "
            f"within {q.raw} of its best test accuracy",
            f"{v.who(t)} fell {d * 100:.2f} pp, from {v.rows[t]['test_acc_best'] * 100:.2f}% to "
            f"{v.rows[t]['test_acc_final'] * 100:.2f}%" + (f" ({len(over)} trials fell further than {q.raw})" if len(over) > 1 else ""))


def _scaled(q: Quoted, metric: str) -> tuple[float, float]:
    """The quoted number and its tolerance on the scale of the facts (fractions for accuracies and gaps)."""
    if metric in ("acc", "gap") and (q.pct or q.pp or abs(q.x) > 1):
        return q.x / 100, q.tol / 100
    return q.x, q.tol


def _column(ctx: Ctx, q: Quoted) -> Optional[str]:
    metric = "acc" if (ctx.metric in (None, "acc") and (q.pct or ctx.metric == "acc")) else ctx.metric
    return CURVE_COLUMNS.get((metric or "", ctx.split or "test"))


def curve_verdict(v: "Verifier", q: Quoted, ctx: Ctx, group: list[str], epoch: Optional[int], by: bool,
                  left: str) -> Union[None, bool, tuple[str, str]]:
    """None: some trial's curve holds the number (at the pinned epoch, if any). A (reason,
    data) pair: the one trial named held something else at the pinned epoch. False: no verdict.
    Only numbers pinned to an epoch, approximate ones, and those the words put on the curve
    ("started at", "was at", "dropped to") are sought there: a "best" or "final" value is not."""
    col = _column(ctx, q)
    if col is None or not group or not (epoch is not None or q.approx or CURVE_WORDS.search(left)):
        return False
    if epoch is None and _BEST_NAMED.search(left):
        return False  # "t009's best test accuracy was 87.79%": the best, not a value somewhere on the curve
    metric = "acc" if col.endswith("acc") else "loss"
    x, tol = _scaled(q, metric)
    if q.x < 0:
        return False
    hits = [(t, e) for t in group for e, val in v.curves.curve(t, col) if abs(val - x) <= tol + 1e-9]
    if epoch is None:
        return None if hits else False
    if any(e == epoch or (by and e <= epoch) for _, e in hits):
        return None
    if len(group) != 1:
        return False
    tid = group[0]
    at = v.curves.at(tid, col, epoch)
    if at is None:
        return False
    what = col.replace("_acc", " accuracy").replace("_loss", " loss")
    said = f"at epoch {epoch} the {what} of {v.who(tid)} was {format_value(at, metric)}"
    elsewhere = sorted({e for _, e in hits})
    if elsewhere:
        said += f"; {q.raw} is its {what} at epoch{'s' if len(elsewhere) > 1 else ''} {', '.join(map(str, elsewhere[:5]))}"
    return f"{q.raw} quoted as the {what} of {v.who(tid)} at epoch {epoch}, which it was not", said


def limit_verdict(v: "Verifier", q: Quoted, ctx: Ctx, group: list[str], epoch: Optional[int], by: bool,
                  quote: str) -> Optional[tuple[str, str]]:
    """None when the limit or range holds (or cannot be judged), else (reason, what the data says)."""
    metric = ctx.metric or ("acc" if q.pct else "gap" if q.pp else None)
    if q.pp and metric == "acc":
        metric = "gap"
    if metric not in ("acc", "gap", "margin", "loss") or not group:
        return None
    if metric == "loss" and q.pct:
        return None  # "the loss fell by more than 2%": a relative change, which no value here is
    clause = clause_of(quote, q.raw, q.where(quote))
    named = re.match(r"\s*(?:%|pp)?\s*(?:in\s+|of\s+)?(?:their\s+|its\s+)?(best|peak|final)\s+(?:test\s+)?acc",
                     quote[q.where(quote) + len(q.raw):] if q.where(quote) >= 0 else "", re.I)
    if named:  # "finished above 89% best test accuracy": the measure written after the number, not the verb
        ctx.stat = "final" if named.group(1).lower() == "final" else "best"
    if _RULE.search(quote):
        return None  # "flagged when the gap is above 5 pp": a rule's threshold, not a claim about trials
    if q.pp and q.bound and (effect := _effect_of(v, clause)) is not None:
        key, spread = effect  # "batch size has a negligible effect (under 0.2 pp)": the spread of its means
        holds = spread * 100 < q.x + 1e-9 if q.bound == "<" else spread * 100 > q.x - 1e-9  # a limit is a threshold
        return None if holds else (f"the effect of {key} said to be {'under' if q.bound == '<' else 'over'} {q.raw}",
                                   f"its mean best test accuracies span {spread * 100:.2f} pp")
    behind = _BEHIND_WHOM.match(quote[q.where(quote) + len(q.raw):]) if q.pp and q.bound and q.where(quote) >= 0 else None
    if behind:
        # who is behind (or ahead): the trial named last before the number, in its own clause
        subject = v.reader.trials_in(re.split(r"[;:,]|\.\s|\band\b", quote[:q.where(quote)])[-1]) or set()
        if len(subject) == 1:
            return _behind_limit(v, q, next(iter(subject)), behind.group("whom"), behind.group("dir").lower().startswith("ahead"))
    margin = _BY_MARGIN.search(quote[:q.where(quote)]) if q.pp and q.bound and q.where(quote) >= 0 else None
    if margin:  # (not `by`: that is "by epoch N", used below)
        # "t009 still trails the weakest Summation run (t002) by more than 2 pp": the distance between the two
        subject = v.reader.trials_in(re.split(r"[;:]|\.\s", quote[:margin.start()])[-1]) or set()
        if len(subject) == 1:
            return _behind_limit(v, q, next(iter(subject)), margin.group("whom"), not margin.group("behind"))
    if q.pp and q.bound == "<" and q.where(quote) >= 0 and (apart := _within_of(v, q, quote)) is not None:
        return apart or None
    if q.pp and q.bound == "<" and _OF_ITS_BEST.match(quote[q.where(quote) + len(q.raw):] if q.where(quote) >= 0 else ""):
        return _within_own_best(v, q, group)
    if not ctx.explicit_trial and re.search(r"\b(?:those|these)\s+(?:two|three|four|five|six|\d+)\b|\b(?:for|of)\s+them\b",
                                            quote[:max(q.where(quote), 0)], re.I):
        return None  # "Final train accuracy for those three: all above 91.5%": a group the sentence does not name
    if metric == "gap" and _SPREAD.search(clause):
        return None  # "the spread is under 3 pp": about the sweep's range, not any trial's train − test gap
    if _OTHERS.search(clause) and ctx.trials and len(ctx.trials) < len(v.ranked):
        # "while every other completed run stays under 2 pp": the trials the sentence did not name (by id too)
        named = set(ctx.trials) | (v.reader.trials_in(quote[:max(q.where(quote), 0)]) or set())
        group = [t for t in v.ranked if t not in named and (not re.search(r"\bcompleted\b", clause, re.I)
                                                             or v.status[t] == "completed")]
    if q.span is not None and q.where(quote) >= 0 and re.match(r"\s*(?:vs\.?|versus|against|compared (?:to|with))\s",
                                                             after_range_text(quote, q.raw, q.where(quote)), re.I):
        # "the lr=0.01 runs sit at 58.0–58.8% vs 55.2–56.2% for lr=0.003": the first range is its own clause's subject's
        own = v.reader.trials_from_params(re.split(r"[;:]|,\s", quote[:q.where(quote)])[-1])[0]
        if own:
            group = [t for t in v.ranked if t in own]
    values = [(t, val) for t in group if (val := _value(v, t, metric, ctx, epoch, by, q.bound, quote)) is not None]
    if ctx.stat == "mean" and metric == "acc" and epoch is None and len(values) > 1 and q.span is None and not ctx.explicit_trial \
            and re.search(r"\b(?:mean|average|averag\w+|on average)\b", quote, re.I) and not UNIVERSAL.search(clause) \
            and not re.search(r"\b(?:no(?![-_ ]?(?:reg\w*|regulari[sz]\w*|penalty))|none|not|never)\b", clause, re.I):
        # "Multiplication averages just under 87%": the group's mean is the one value the limit is about
        mean = sum(val for _, val in values) / len(values)
        return None if (mean < _scaled(q, metric)[0] + 1e-9 if q.bound == "<" else mean > _scaled(q, metric)[0] - 1e-9) and (
            not q.near or abs(mean - _scaled(q, metric)[0]) <= _scaled(Quoted(q.raw, 10 ** -q.dec, q.dec, q.unit), metric)[0] + 1e-9) \
            else (f"the mean {_what(metric, ctx, epoch, by, quote)} of the {len(values)} trials meant said to be "
                  f"{'just ' if q.near else ''}{'below' if q.bound == '<' else 'above'} {q.raw}",
                  f"their mean is {format_value(mean, metric)}")
    if q.span is not None and metric == "acc" and len(group) == 1 and _WANDER.search(before_range_text(quote, q.raw, q.where(quote))):
        # "reached 88.38% at epoch 10, then fluctuated between 87.1% and 88.3%": the curve after that epoch
        since = [int(e) for e in re.findall(r"\bepoch\s+(\d+)", quote[:max(q.where(quote), 0)], re.I)]
        after = since[-1] if since else 0
        tail = re.match(r"[^.;]{0,30}?\b(?:(from|since)\s+epoch\s+(\d+)|after\s+epoch\s+(\d+))", after_range_text(quote, q.raw, q.where(quote)), re.I)
        if tail:  # "stayed between 87.3% and 88.3% from epoch 15 onward": from that epoch on
            after = int(tail.group(2)) - 1 if tail.group(2) else int(tail.group(3))
        points = [(e, val) for e, val in v.curves.curve(group[0], f"{ctx.split or 'test'}_acc") if e > after]
        return _within_span(v, q, group[0], points, after) if points else None
    if not values:
        return None
    x, tol = _scaled(q, metric)
    # "were at 82.7–85.7%": the lowest and the highest; but "between 58% and 59.5%", "within 83–86%"
    # put every value inside the interval, wherever the ends of the values fall
    inside = re.search(r"\b(between|within|inside|in (?:a|the) (?:band|range|window) of)\s*$",
                       before_range_text(quote, q.raw, q.where(quote))[-30:], re.I)
    precise = q.span is not None and q.dec >= 1 and not q.approx and not inside
    if q.span is not None and (precise or RANGED.search(quote[:max(q.where(quote), 0)])):
        lo, hi = (_scaled(Quoted(q.raw, e, q.dec, q.unit, q.approx), metric)[0] for e in q.span)
        vals = [val for _, val in values]
        if abs(min(vals) - lo) <= tol + 1e-9 and abs(max(vals) - hi) <= tol + 1e-9:
            return None
        what = _what(metric, ctx, epoch, by, quote)
        low = min(values, key=lambda tv: tv[1])
        high = max(values, key=lambda tv: tv[1])
        return (f"a range of {q.span[0]:g} to {q.span[1]:g}{'%' if q.pct else ' pp' if q.pp else ''} for the {what} "
                f"of the {len(values)} trial{'s' if len(values) != 1 else ''} meant",
                f"they range from {format_value(low[1], metric)} ({v.who(low[0])}) to {format_value(high[1], metric)} "
                f"({v.who(high[0])})")
    if q.span is not None:  # "between 58% and 60%", "about 56–59%": every value (or one) lies inside
        lo, hi = (_scaled(Quoted(q.raw, e, q.dec, q.unit, q.approx), metric)[0] for e in q.span)
        ok = [lo - tol - 1e-9 <= val <= hi + tol + 1e-9 for _, val in values]
        said_limit = f"between {q.span[0]:g} and {q.span[1]:g}{q.unit if q.unit in ('%',) else ' ' + q.unit if q.unit else ''}"
    elif q.bound == ">":  # a limit is a threshold, not a rounded value: "at least 0.1" excludes 0.05
        unit = _scaled(Quoted(q.raw, 10 ** -q.dec, q.dec, q.unit), metric)[0]
        ok = [val > x - 1e-9 and (not q.near or val <= x + unit + 1e-9) for _, val in values]
        said_limit = f"{'just ' if q.near else ''}above {q.raw}"
    else:
        unit = _scaled(Quoted(q.raw, 10 ** -q.dec, q.dec, q.unit), metric)[0]  # "just under 87%": 86% to 87%
        ok = [val < x + 1e-9 and (not q.near or val >= x - unit - 1e-9) for _, val in values]
        said_limit = f"{'just ' if q.near else ''}below {q.raw}"
    # "no Summation run exceeds 1.8 pp", "never got above 85%": the negated limit, said of every value
    head = clause[:max(clause.find(q.raw), 0)]
    if q.raw in quote and not _NEGATED.search(head):  # "no run had yet reached 57%": "yet" ends no clause for the negation
        wide = re.split(r"[,;:]|\b(?:while|whereas|but)\b", quote[:max(q.where(quote), 0)])[-1]
        head = wide if _NEGATED.search(wide) else head
    negated = q.span is None and (_NEGATED.search(head) or (_NEVER.search(head) and (v.reader.trials_in(head) or (
        len(group) == 1 and re.search(r"\b(?:it|its)\b", head, re.I) and len(v.reader.trials_in(quote) or ()) <= 1))))
    # ("it never reached 85%": the trial "it" is, when the sentence names no other)
    if negated:
        ok = [val <= x + 1e-9 if q.bound == ">" else val >= x - 1e-9 for _, val in values]
        said_limit = f"not {said_limit}"
    counted = _COUNTED.search(re.split(r"[:;,]|\.\s|\b(?:and|while|whereas|but)\b", quote[:max(q.where(quote), 0)])[-1])
    if counted and not (counted.group("whole") or counted.group("noun")):
        counted = None  # "6 runs", "7 of the 12", "2/6": a count; a bare "5" is not
    if counted and not negated:
        # a count of trials meeting the limit, among those its own words name (else all with results)
        own = v.reader.trials_from_params(counted.group(0))[0]
        typed = {t for t, p in TYPE_WORDS.items() if p.search(counted.group(0))}
        if own is None and typed:  # "only 2/6 no-reg runs broke 84%"
            own = {t for t in v.ranked if v.types[t] in typed}
        pool = [(t, val) for t in v.ranked if (own is None or t in own)
                and (val := _value(v, t, metric, ctx, epoch, by, q.bound, quote)) is not None]
        n_said = count_of(counted.group("n"))
        ok_pool = [t for t, val in pool if (lo - tol - 1e-9 <= val <= hi + tol + 1e-9 if q.span is not None else
                                            val > x - 1e-9 if q.bound == ">" else val < x + 1e-9)]
        if len(ok_pool) == n_said:
            return None
        what = _what(metric, ctx, epoch, by, quote)
        shown = ", ".join(v.who(t) for t in ok_pool[:4]) + (", …" if len(ok_pool) > 4 else "")
        return (f"{n_said} trial{'s' if n_said != 1 else ''} said to have {what} {said_limit}",
                f"{len(ok_pool)} of the {len(pool)} trials do" + (f": {shown}" if ok_pool else ""))
    every = bool(negated or UNIVERSAL.search(clause) or _PLURAL_SUBJECT.search(quote[:max(q.where(quote), 0)])) \
        and not (EXISTENTIAL.search(clause) and not negated)
    if _OTHERS.search(clause) and ctx.trials and len(ctx.trials) < len(v.ranked):
        every = True
    if quote.startswith("|") and len(group) > 1:
        every = True  # a table cell's range or limit describes its whole column (or row) group
    if (all(ok) if every else any(ok)):
        return None
    bad = [(t, val) for (t, val), good in zip(values, ok) if not good]
    what = _what(metric, ctx, epoch, by, quote)
    shown = "; ".join(f"{v.who(t)}: {format_value(val, metric)}" for t, val in bad[:3]) + ("; …" if len(bad) > 3 else "")
    n = f"{len(values)} trial{'s' if len(values) != 1 else ''} meant"
    reason = (f"{what} {said_limit} said of all {n}, which not all hold" if every
              else f"{what} {said_limit} said, which none of the {n} holds")
    return reason, f"{what}: {shown}"


def _within_span(v: "Verifier", q: Quoted, tid: str, points: list[tuple[int, float]],
                 after: int) -> Optional[tuple[str, str]]:
    """Every epoch's value after `after` inside the range written (with the tolerance of its digits)."""
    assert q.span is not None
    _, tol = _scaled(q, "acc")
    lo, hi = (_scaled(Quoted(q.raw, e, q.dec, q.unit, q.approx), "acc")[0] for e in q.span)
    out = [(e, val) for e, val in points if not lo - tol - 1e-9 <= val <= hi + tol + 1e-9]
    if not out:
        return None
    shown = "; ".join(f"epoch {e}: {format_value(val, 'acc')}" for e, val in out[:3]) + ("; …" if len(out) > 3 else "")
    return (f"the test accuracy of {v.who(tid)} after epoch {after} said to stay between {q.span[0]:g} and "
            f"{q.span[1]:g}%, which it did not", shown)


def _value(v: "Verifier", tid: str, metric: str, ctx: Ctx, epoch: Optional[int], by: bool,
           bound: Optional[str], quote: str) -> Optional[float]:
    row = v.rows[tid]
    split = ctx.split or "test"
    if metric == "acc" and epoch is not None:
        curve = v.curves.curve(tid, f"{split}_acc")
        upto = [val for e, val in curve if e <= epoch]
        if not upto:
            return None
        return max(upto) if by and bound == ">" else next((val for e, val in curve if e == epoch), None)
    col = {"gap": "train_test_gap_final", "margin": "margin", "loss": f"{split}_loss_final"}.get(metric)
    if col is None:
        col = f"{split}_acc_final" if ctx.stat != "best" and (ctx.stat == "final" or _FINAL.search(clause_of(quote, ""))) \
            else f"{split}_acc_best"
    val = row.get(col)
    return None if val is None or val != val else float(val)


def clause_of(quote: str, raw: str, at: int = -1) -> str:
    """The clause around the number (written at `at`, else where `raw` first is): from the last clause
    boundary before it to the next after it ("every trial exceeded 86%, and the spread ... is under 3 pp":
    the second clause has no "every")."""
    i = at if at >= 0 else quote.find(raw)
    if i < 0:
        return quote
    left, right = quote[:i], quote[i + len(raw):]
    cuts = [m.end() for m in BOUNDARY.finditer(left) if m.group(0).strip() not in (",", ")")]
    nxt = next((m.start() for m in BOUNDARY.finditer(right) if m.group(0).strip() not in (",", ")")), len(right))
    return left[cuts[-1] if cuts else 0:] + raw + right[:nxt]


def _what(metric: str, ctx: Ctx, epoch: Optional[int], by: bool, quote: str) -> str:
    if epoch is not None and metric == "acc":
        return f"{ctx.split or 'test'} accuracy {'by' if by else 'at'} epoch {epoch}"
    final = ctx.stat != "best" and (ctx.stat == "final" or _FINAL.search(quote))
    return {"acc": f"{'final' if final else 'best'} {ctx.split or 'test'} accuracy",
            "gap": "final train − test gap", "margin": "margin", "loss": f"final {ctx.split or 'test'} loss"}[metric]


def after_range_text(quote: str, raw: str, at: int = -1) -> str:
    """The words just after a range ("between 87.3% and 88.3% from epoch 15 onward": "from epoch 15 onward")."""
    i = at if at >= 0 else quote.find(raw)
    tail = quote[i + len(raw):] if i >= 0 else ""
    return re.sub(r"^\s*(?:%|pp)?\s*(?:–|-|—|to|and)\s*~?\s*[\d.]+\s*(?:%|pp)?", "", tail)[:80]


def before_range_text(quote: str, raw: str, at: int = -1) -> str:
    """The words just before a range ("then fluctuated between 87.1% and 88.3%": "then fluctuated between")."""
    i = at if at >= 0 else quote.find(raw)
    head = quote[:i] if i >= 0 else quote
    return re.sub(r"[\d.]+\s*%?\s*(?:–|-|—|to|and)\s*$", "", head)[-50:]
