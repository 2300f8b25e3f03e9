"""What a number in a report is about, read from the words around it.

The same clause first, then the rest of the sentence (and a table's column
header): the metric, split and statistic; the trial, named by id, by "trial 7" or
by parameters that single it out; a superlative or a rank; whether it is a
parameter value, an epoch or a count. `ContextReader.context` returns it as a Ctx,
which verify.py checks against the facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from sweepdeck.engine.analysis.facts import FactSheet, format_param
from sweepdeck.engine.analysis.reading import value_of
from sweepdeck.engine.analysis.vocabulary import (BOUNDARY, COMPARE, GLOBAL_SUPERLATIVE, METRIC_WORDS, ORDINALS, PARAM_ANY,
                                        PARAM_TAIL, PER_TRIAL_BEST, RANK_WORDS, SPLIT_WORDS, STAT_WORDS,
                                        LEFT_OUT, SUPERLATIVE_CUT, TRIAL_ID, TRIAL_REF, TYPE_WORDS,
                                        WEAK_SUPERLATIVE, count_of)


@dataclass
class Ctx:
    """What the words around one number say it is about."""

    metric: Optional[str] = None
    split: Optional[str] = None
    stat: Optional[str] = None
    trials: Optional[set[str]] = None      # explicit or implied by named parameters
    explicit_trial: bool = False
    param: Optional[str] = None
    superlative: bool = False
    rank: Optional[int] = None
    types: set[str] = field(default_factory=set)
    params: dict[str, str] = field(default_factory=dict)
    unit: str = ""          # "%", "pp" or "" as written
    kind: Optional[str] = None   # rank | epoch | epoch_total | epoch_count | count: from the words right at the number
    own_split: Optional[str] = None  # the split named in this number's own words (not inherited)
    params_near: bool = False  # the parameters were named right at the number, not only somewhere in the sentence
    prev: Optional["Ctx"] = field(default=None, repr=False)


def _unit_of(m: re.Match[str]) -> str:
    u = (m.group("unit") or "").strip().lower()
    return "%" if u == "%" else "pp" if u == "pp" or u.startswith("percentage") else u


def _last(patterns: list[tuple[str, re.Pattern[str]]], text: str) -> Optional[str]:
    best, where = None, -1
    for key, pat in patterns:
        for m in pat.finditer(text):
            if m.start() >= where:
                best, where = key, m.start()
    return best


def _first(patterns: list[tuple[str, re.Pattern[str]]], text: str) -> Optional[str]:
    best, where = None, 10**9
    for key, pat in patterns:
        m = pat.search(text)
        if m and m.start() < where:
            best, where = key, m.start()
    return best


_SOME_VALUES = re.compile(r"\bthe\s+(two|three|four)\s+(lower|higher|smaller|larger)\s+(learning rates|lrs|batch sizes)\b", re.I)


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def param_name(left: str) -> Optional[str]:
    """The parameter `left` ends by naming ("lr =", "batch size of"), if any."""
    m = PARAM_TAIL.search(left[-60:])
    if not m:
        return None
    return next((k for k, v in m.groupdict().items() if v), None)


class ContextReader:
    """Reads the context of numbers in reports on one sweep (its trial ids and parameters)."""

    def __init__(self, fs: FactSheet):
        self.fs = fs
        self.trial_ids = set(fs.trials.index)
        self.index_to_id = {int(i): tid for tid, i in fs.trials["index"].items()}
        self._ids = list(fs.trials.index)
        self._cols: Optional[dict[str, list[str]]] = None
        self._picked: dict[str, tuple[Optional[set[str]], dict[str, str]]] = {}
        self._typed: dict[str, frozenset[str]] = {}

    def context(self, sent: str, left: str, right: str, prev: Optional[Ctx], m: Optional[re.Match[str]]) -> Ctx:
        """What number `m` in `sent` is about: `left` is the text since the previous
        number, `right` the text up to the next, `prev` the previous number's context
        (its trial and metric may carry over). Without `m`, the context of a table header."""
        ctx = Ctx()
        ctx.unit = _unit_of(m) if m is not None else ""
        lb = [x.end() for x in BOUNDARY.finditer(left)]
        left_clause = left[lb[-1]:] if lb else left
        rb = BOUNDARY.search(right)
        right_clause = (right[:rb.start()] if rb else right)[:60]
        # what the words right at the number make it: a rank, an epoch, a count of trials
        if re.search(r"(\brank(?:ed|s)?(?:\s+(?:at|as|in))?\s*#?|#)\s*$", left, re.I):
            ctx.kind = "rank"
            ctx.rank = int(float(m.group("num"))) if m is not None and "." not in m.group("num") else None
        elif prev is not None and prev.kind == "epoch" and re.fullmatch(r"\s*(of|/)\s*", left):
            ctx.kind = "epoch_total"  # "at epoch 20 of 25"
        elif m is not None and re.match(r"\s*epochs\b(?!\s*/)", m.string[m.end():], re.I):
            ctx.kind = "epoch_count"  # "the first 5 epochs", "trained for 25 epochs": a number of epochs
        elif re.search(r"\bepochs?\s*#?\s*$", left, re.I) or re.match(r"\s*(?:st|nd|rd|th)?\s*epoch\b(?!\s*/)", right, re.I) \
                or (prev is not None and prev.kind == "epoch" and re.fullmatch(r"\s*(to|and|or|-|–)\s*", left)):
            ctx.kind = "epoch"
        elif m is not None and re.match(r"\s*(?:of\s+(?:the\s+)?\d+\s+|out of\s+\d+\s+)?(?:\w+\s+)?(trials?|runs?|configurations?|experiments?|values?|seeds?)\b", m.string[m.end():], re.I) \
                or re.search(r"\b(top|first|last)[- ]$", left, re.I) \
                or (m is not None and not m.group("unit") and re.match(  # "in 4 of the 6": a count, whatever it counts
                    r"\s*(?:out\s+)?of\s+(?:(?:the\s+)?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b(?!\s*(?:%|pp|epochs?\b))|"
                    r"(?:its|their|these|those|them)\b)",
                    m.string[m.end():], re.I)) \
                or (prev is not None and prev.kind == "count" and re.fullmatch(r"\s*(?:out )?of\s*", left)):
            ctx.kind = "count"
        ptail = param_name(left)
        if ptail:
            ctx.param = ptail
        # the metric is inherited from the last number written in the same unit
        same = prev
        while same is not None and same.unit != ctx.unit:
            same = same.prev
        own_split = None
        for attr, pats in (("split", SPLIT_WORDS), ("metric", METRIC_WORDS), ("stat", STAT_WORDS)):
            v = _last(pats, left_clause) or _first(pats, right_clause) or _last(pats, left)
            if attr == "split":
                own_split = v
            src = same if attr == "metric" else prev
            if v is None and src is not None and not ptail:
                v = getattr(src, attr)
            setattr(ctx, attr, v)
        ctx.own_split = own_split
        if ctx.stat == "best" and re.search(r"\b(?:mean|average)\s+best\b", left_clause + " " + left[-60:], re.I):
            ctx.stat = "mean"  # "Mean best test accuracy by λ: 86.0% (0.01), ...": a mean of best accuracies
        if ctx.unit == "%" and ctx.metric == "gap" and "gap" not in (_last(METRIC_WORDS, left_clause), _first(METRIC_WORDS, right_clause)):
            # "**The diverged run inflates the difference:** ... averages 86.43%": a percentage far from its "difference"
            ctx.metric = "acc"
        ctx.prev = prev
        if ctx.kind == "epoch" and m is not None:
            ctx.stat = _last(STAT_WORDS, m.string[:m.start()])  # "(final: ...)" after an epoch is about the next number
        if ctx.param and ptail:
            ctx.metric = None
        elif prev is not None and prev.param and (not left.strip(" ,/–-") or re.fullmatch(r"\s*(,|and|or|to|–|-|/|\.\.)\s*", left or "")):
            ctx.param, ctx.metric = prev.param, None
        # trials: explicit ids first
        found = self.trials_in(left_clause) or self.trials_in(right_clause) or self.trials_in(left)
        if m is not None and re.search(r"\b(?:group|type)\s+means?\b|\bthe\s+(?:two\s+)?means\b", m.string[max(0, m.start() - 60):m.start()],
                                                  re.I) and not TRIAL_ID.search(m.string[max(0, m.start() - 25):m.start()]):
            found = None  # "the group means differ by 5 pp (88.51% versus 83.53%)": the types' means, not a trial named before
            ctx.stat = "mean"
            prev = None
        left_out = {t for x in LEFT_OUT.finditer(sent) for t in (self.trials_in(x.group(0)) or ())}
        if found and left_out:
            found = (found - left_out) or None  # "Excluding t011, Multiplication averages 86.43%": not about t011
        if m is not None and not TRIAL_ID.search(m.string[max(0, m.start() - 15):m.start()]):
            # "t005 and t007 are basically the same (83.40% and 83.38%)": a pair of numbers answers two names in order
            first = re.match(r"\s*(?:%|pp)?\s*(?:,|and|vs\.?|versus|/)\s*~?[\d.]+", m.string[m.end():m.end() + 16], re.I)
            second = re.search(r"([\d.]+)\s*(?:%|pp)?\s*(?:,|and|vs\.?|versus|/)\s*~?$", m.string[max(0, m.start() - 16):m.start()],
                               re.I)
            start = m.start() if first else (max(0, m.start() - 16) + second.start(1)) if second else 0
            clause = re.split(r"[,;]|\b(?:and|but|while|whereas)\s+(?=(?:for|at|in|the|with)\b)",
                             re.sub(r"\([^)]*\)", "", sent[:start]))[-1]  # ("t000 vs. t006 (Summation): 89.71% vs. 87.00%")
            named = [f"t{int(x.group(1)):03d}" for x in TRIAL_ID.finditer(clause)]  # the two names of the pair's own clause
            named = list(dict.fromkeys(t for t in named if t in self.trial_ids))
            if (first or second) and len(named) == 2 and not left_out:
                found = {named[0] if first else named[1]}
        aggregate = re.search(r"\b(mean|average|across|all trials|overall|median|every)\b", left, re.I)
        own = None
        if prev is not None and prev.explicit_trial and m is not None:
            near_text = re.split(r"[,;)]", m.string[max(0, m.start() - 40):m.start()])[-1]
            own = self.trials_from_params(near_text)[0]
        if found:
            ctx.trials, ctx.explicit_trial = found, len(found) == 1
        elif own is not None and len(own) == 1 and not own <= (prev.trials or set()):
            # "1. Summation lr=0.01 bs=128 (89.74%), 2. Summation lr=0.01 bs=32 (89.73%)": a new trial, by parameters
            ctx.trials, ctx.explicit_trial = own, True
        elif prev is not None and prev.trials is not None and m is not None and re.search(
                r"\b(?:between|from|rang(?:ed|es|ing)(?:\s+from)?|spanning)\s+(?:about\s+|roughly\s+|~)?[\d.]+\s*(?:%|pp)?\s*"
                r"(?:and|to|–|-)\s*~?$", m.string[max(0, m.start() - 40):m.start()], re.I):
            # "the lr = 0.01 runs were all between 58% and 59%": the far end of a range is about what the near end is
            ctx.trials, ctx.explicit_trial, ctx.params = prev.trials, prev.explicit_trial, prev.params
            ctx.params_near = prev.params_near
        elif prev is not None and prev.trials is not None and prev.explicit_trial and not aggregate \
                and not COMPARE.search(left):
            # "t009 (Multiplication, mul=0.001) peaks at X": still about t009
            ctx.trials, ctx.explicit_trial = prev.trials, True
        else:
            # parameters named next to the number ("85.8% at lr=0.003, 86.7% at lr=0.01") win over the sentence's
            local = ""
            if m is not None:
                before = m.string[max(0, m.start() - 40):m.start()]
                wide = re.split(r"[,;)]|\s(?:vs\.?|versus|and|but|while|whereas|than)\s", m.string[max(0, m.start() - 80):m.start()])[-1]
                if _SOME_VALUES.search(wide):  # "every run at the two lower learning rates is still below": a long name
                    before = wide
                before = re.split(r"[,;)]|\s(?:vs\.?|versus|and|but|while|whereas|than)\s", before)[-1]
                local = before + " " + BOUNDARY.split(m.string[m.end():m.end() + 40])[0]
            pt, params = self.trials_from_params(local)
            bare = re.search(r"(?:^|[\s,])(\d*\.?\d+)\s*\(\s*$", m.string[max(0, m.start() - 16):m.start()]) if m is not None else None
            named_key = param_name(sent[:m.start()]) if bare and m is not None else None
            if bare and not params:
                # "lr = 0.01 is best on average (88.31%), ahead of 0.03 (87.16%)": a bare value of the parameter named before
                key = next((k for k, rx in (("lr", r"\blr\b|learning rate"), ("batchsize", r"batch"), ("wn", r"\bwn\b|weight[ -]norm"))
                            if re.search(rx, sent[:m.start()], re.I)), named_key)
                if key in ("lr", "batchsize", "wn"):
                    pt, params = self.trials_from_params(f"{key}={bare.group(1)} " + " ".join(self._types_in(sent)))
            near = True
            if m is not None and not re.search(r"\b(?:between|from|rang(?:ed|es|ing)(?:\s+from)?|spanning)\s+(?:about\s+|roughly\s+|~)?$",
                                               m.string[max(0, m.start() - 30):m.start()], re.I) and (
                    re.match(r"\s*(?:%|pp)?\s*(?:,|and|vs\.?|versus|/)\s*[\d.]+", m.string[m.end():m.end() + 16], re.I)
                    or re.search(r"[\d.]+\s*(?:%|pp)?\s*(?:,|and|vs\.?|versus|/)\s*$", m.string[max(0, m.start() - 16):m.start()], re.I)):
                # "A outperformed B (87.10% vs 85.82%)", "A and B average 87.57% and 87.19%": a pair of numbers
                # answers the names in order, not the last name before it
                pt, params = None, {}
            if pt is None and not params:
                pt, params = self.trials_from_params(sent)
                near = False  # named somewhere in the sentence: a hint, not a binding
            if pt is not None:
                ctx.trials, ctx.explicit_trial, ctx.params = pt, near and len(pt) == 1, params
                ctx.params_near = near
            elif prev is not None and prev.trials is not None and not aggregate:
                ctx.trials, ctx.explicit_trial = prev.trials, False
        ctx.types = set(self._types_in(sent))
        # a superlative claims the best of the sweep: it must be in the words leading to the number
        cut = [x.end() for x in SUPERLATIVE_CUT.finditer(left)
               if not (x.group(0) == ":" and len(left[:x.start()].split()) <= 5)]  # "Best Summation trial: t004"
        scope = left[cut[-1]:] if cut else left
        opened = left.rfind("(")
        if opened >= 0 and ")" not in left[opened:] and (self._types_in(left[max(0, opened - 40):opened])
                                                        or PARAM_ANY.search(left[max(0, opened - 40):opened])):
            scope = ""  # "every unregularized run (the strongest being t009 at 84.90%)": the best of that group only
        weak = WEAK_SUPERLATIVE.search(scope)
        if weak and self.trials_in(scope[:weak.start()]):
            weak = None  # "For t004, the best test accuracy was ...": that trial's own best
        ctx.superlative = bool(GLOBAL_SUPERLATIVE.search(scope) or weak) and not PER_TRIAL_BEST.search(left_clause) \
            and not re.search(r"\b(?:second|third|fourth|fifth|next|[2-5](?:nd|rd|th))[- ](?:best|highest)", scope, re.I)
        if ctx.superlative and ctx.split == "train" and not re.search(
                r"\b(highest|best|top|max(?:imum)?)\W+(?:\w+\W+){0,2}train", scope, re.I):
            ctx.superlative = False  # "the best trial ends with train accuracy X" is not a claim about train
        if ctx.stat == "best" and re.search(r"\b(mean|average|avg)\b", left_clause + " " + right_clause, re.I):
            ctx.stat = "mean"
        if ctx.superlative and ctx.stat is None:
            ctx.stat = "best"
        if ctx.rank is None:
            for r in RANK_WORDS.finditer(left_clause + " " + right_clause):
                g = [x for x in r.groups() if x]
                if g:
                    ctx.rank = ORDINALS.get(g[0].lower()) or (int(g[0]) if g[0].isdigit() else None)
        return ctx

    def _types_in(self, sent: str) -> frozenset[str]:
        """The experiment types a sentence names (asked once per number in it, so kept)."""
        hit = self._typed.get(sent)
        if hit is None:
            if len(self._typed) > 4096:
                self._typed.clear()
            hit = self._typed[sent] = frozenset(t for t, p in TYPE_WORDS.items() if p.search(sent))
        return hit

    def trials_in(self, text: str) -> Optional[set[str]]:
        ids = {f"t{int(m.group(1)):03d}" for m in TRIAL_ID.finditer(text)}
        ids |= {self.index_to_id[int(m.group(1))] for m in TRIAL_REF.finditer(text) if int(m.group(1)) in self.index_to_id}
        ids &= self.trial_ids
        return ids or None

    def _param_cols(self) -> dict[str, list[str]]:
        """Every trial's parameters as reports write them, lower case: computed once, since
        formatting a pandas column per sentence made checking slow."""
        if self._cols is None:
            df = self.fs.trials
            self._cols = {k: [format_param(v).lower() for v in df[k]] for k in df.columns if k not in ("exp_type",)}
            self._cols["exp_type"] = [str(v) for v in df["exp_type"]]
        return self._cols

    def trials_from_params(self, text: str) -> tuple[Optional[set[str]], dict[str, str]]:
        """The trials `text` picks out by the parameters (and type) it names, and those parameters. Asked
        again and again for the same sentence, so the answers are kept (for this sweep's reader)."""
        hit = self._picked.get(text)
        if hit is None:
            if len(self._picked) > 4096:
                self._picked.clear()
            hit = self._picked[text] = self._trials_from_params(text)
        return (set(hit[0]) if hit[0] is not None else None), dict(hit[1])

    def _trials_from_params(self, text: str) -> tuple[Optional[set[str]], dict[str, str]]:
        named: dict[str, str] = {}
        for m in PARAM_ANY.finditer(text):
            key = next(k for k, v in m.groupdict().items() if v and k != "val")
            if key in ("n_epochs", "lr_min"):
                continue
            named[key] = m.group("val")
        types = {t for t, p in TYPE_WORDS.items() if p.search(text)}
        cols = self._param_cols()
        few = _SOME_VALUES.search(text)
        if not named and few:
            # "every run at the two lower learning rates": the trials at the n smallest (or largest) values
            key = "lr" if re.match(r"l", few.group(3), re.I) else "batchsize"
            vals = sorted({float(v) for v in cols[key] if _is_float(v)})
            n = count_of(few.group(1))
            if 0 < n < len(vals):
                keep = {format_param(v).lower() for v in (vals[:n] if few.group(2).lower() in ("lower", "smaller") else vals[-n:])}
                ids = {tid for tid, v, typ in zip(self._ids, cols[key], cols["exp_type"])
                       if v in keep and (len(types) != 1 or typ in types)}
                return (ids or None), {}
        if not named:
            return None, {}
        mask = [True] * len(self._ids)
        for key, val in named.items():
            want = format_param(value_of(val)).lower()
            if key == "lambda":  # "λ = 0.001" without a type: either penalty's weight
                hit = [a == want or b == want for a, b in zip(cols["l2_sum_lambda"], cols["l2_mul_lambda"])]
            else:
                hit = [v == want for v in cols[key]]
            mask = [a and b for a, b in zip(mask, hit)]
        if len(types) == 1:
            mask = [a and b == next(iter(types)) for a, b in zip(mask, cols["exp_type"])]
        ids = {tid for tid, ok in zip(self._ids, mask) if ok}
        if not ids or len(ids) == len(self._ids):
            return None, named
        return ids, named
