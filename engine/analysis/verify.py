"""The fact checker: every number in a report must be in the facts, and every claim true of them.

`verify` reads Markdown and checks every literal number against the fact sheet:

- what the number is about comes from the words around it (context.py: same
  clause first, then the rest of the sentence, then the column header for a table
  cell): the metric (accuracy, loss, gap, margin, epochs/s, epoch, duration), the
  split (train/test), the trial (`t007`, "trial 7", or parameters that single
  trials out, e.g. "Summation with sum=0.001"), a superlative ("the best",
  "highest") or a rank;
- it must equal one of the matching facts, within the rounding shown (87.1% matches
  0.87083), in % or fraction form (0.871 matches 87.08%);
- the split and metric named next to it must be the fact's: a train accuracy quoted
  as a test accuracy is a mismatch, so is the best test accuracy credited to a trial
  that is not the best, or a trial placed at a rank it does not hold;
- a number with no recognisable context must still appear somewhere in the data.

Numbers in code blocks, identifiers (t007, CIFAR-10), list markers, dates, "top 3" and
parameter values in the Recommendations section (which propose new values) are not
checked. Numbers written by parameter names elsewhere must be values the sweep used.

Beyond a fact's value (issue 14): a value that held at some epoch, limits and ranges
(limits.py, on the curves of curves.py), convergence claims (curves.py's rule), counts
of flagged trials, tables with the metric in the row label, and claims without a number:
ranks, comparisons and trends (claims.py). Flags are worded by explain.py. docs/report.md
lists every rule.

The words it knows are in vocabulary.py; how it cuts Markdown into spans and
numbers is in reading.py.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from sweepdeck.engine.analysis.claims import _PEAK_WINDOW, ClaimChecker
from sweepdeck.engine.analysis.context import ContextReader, Ctx, param_name
from sweepdeck.engine.analysis.curves import SETTLE_SLACK, Curves, pinned_epoch
from sweepdeck.engine.analysis.explain import describe, said
from sweepdeck.engine.analysis.facts import Fact, FactSheet, format_param
from sweepdeck.engine.analysis.limits import curve_verdict, limit_verdict
from sweepdeck.engine.analysis.reading import (MAX_SPAN, Quoted, after_range, before_range, bounded, numbers, prose_text, sentences,
                                               value_of)
from sweepdeck.engine.analysis.vocabulary import (BOLD_HEADING, DATE_AROUND, DURATION_UNITS, FLAG_WORDS, NEGATION, PARAM_ANY,
                                                  PRONOUN, RANGED, STATISTIC, CHANGE_WORDS, TOP_N_WORDS, TYPED_ITEM, BEST_PER_TYPE,
                                                  PROPOSAL, RANKING_INTRO, RECOMMEND_HEADING, SETTLED, TOP_N, TRIAL_ID, LEFT_OUT,
                                                  count_of,
                                                  TYPE_WORDS, UNIVERSAL)

# where a number's own piece of a sentence ends: "every unregularized run ..., while no Summation run ..."
_PIECE_CUT = re.compile(r"[,;:]|\b(?:while|whereas|but|unlike|compared|than|versus|vs\.?|against)\b", re.I)

_MEAN = re.compile(r"\b(mean|average|avg)\b", re.I)
_FINAL_WORD = re.compile(r"\b(final|last|end)\b", re.I)

# --- results ---------------------------------------------------------------------------------------

@dataclass
class Mismatch:
    number: str        # as written, e.g. "87.08%"
    quote: str         # the sentence or table row around it
    reason: str        # what is wrong
    data_says: str     # what the fact sheet holds instead
    line: int          # 1-based line in the checked text

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


# characters of an answer that are checked: sweepdeck reads at most 65536 characters of an LLM's answer,
# and a longer text (a caller that did not cut it) is checked up to here, so checking stays under seconds
MAX_CHECKED = 65536


@dataclass
class VerifyResult:
    n_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    n_skipped: int = 0
    truncated: bool = False  # the text was longer than MAX_CHECKED: the rest was not checked

    @property
    def ok(self) -> bool:
        return not self.mismatches


def grouped(mismatches: list[Mismatch]) -> list[tuple[Mismatch, list[int]]]:
    """Repeats of one wrong claim (the same number, the same reason) as one entry: the first
    occurrence and the 1-based positions of all of them in `mismatches` (the ⚠[i] markers)."""
    groups: dict[tuple[str, str], tuple[Mismatch, list[int]]] = {}
    for i, m in enumerate(mismatches, start=1):
        groups.setdefault((m.number, m.reason), (m, []))[1].append(i)
    return list(groups.values())


class Verifier:
    def __init__(self, fs: FactSheet):
        self.fs = fs
        self.by_trial: dict[str, list[Fact]] = {}
        for f in fs.facts.values():
            if f.metric != "text" and f.name.startswith("trial."):
                self.by_trial.setdefault(f.trial or "", []).append(f)
        self.all_facts = [f for f in fs.facts.values() if f.metric != "text"]
        self._index = _FactIndex(self.all_facts)
        self.trial_ids = set(fs.trials.index)
        self.reader = ContextReader(fs)
        self.param_values: dict[str, set[str]] = {}
        for key in ["lr", "batchsize", "l2_sum_lambda", "l2_mul_lambda", "wn", "seed"]:
            self.param_values[key] = {format_param(v) for v in fs.trials[key].tolist()}
        self.param_values["lambda"] = self.param_values["l2_sum_lambda"] | self.param_values["l2_mul_lambda"]
        self.param_values["n_epochs"] = {str(fs.n_epochs)}
        self.param_values["lr_min"] = {format_param(fs.config.get("lr_min", 0.003))}
        self.known_numbers = _numbers_in(fs.config) | _numbers_in(fs.dataset) | _numbers_in(fs.model)
        self.ranked = list(fs.ranked.index)
        self.curves = Curves(fs)
        self.headline_differences = _headline_differences(fs)
        self.type_differences = _headline_differences(fs, types_only=True)
        # (plain Python values: pandas' to_dict cost as much as the curves)
        cols = list(fs.trials.columns)
        self.rows = {tid: dict(zip(cols, vals)) for tid, vals in zip(fs.trials.index, fs.trials.astype(object).to_numpy().tolist())}
        self.claims = ClaimChecker(self)
        # the facts of each group (sens.lr.0.01, type.Summation), looked up for many numbers: indexed once
        self.groups: dict[str, list[Fact]] = {}
        for n, f in fs.facts.items():
            if f.metric != "text" and n.startswith(("sens.", "type.")):
                self.groups.setdefault(n.rsplit(".", 1)[0], []).append(f)
        self.labels = {tid: str(lab) for tid, lab in fs.trials["label"].items()}
        self.types = {tid: str(x) for tid, x in fs.trials["exp_type"].items()}
        self.status = {tid: str(x) for tid, x in fs.trials["status"].items()}
        self._last_trial: Optional[str] = None
        self._type_edges: Optional[list[float]] = None  # pp between the types in each matched pair, made on first use
        self._proposals: dict[str, bool] = {}  # per sentence: does it propose? (see _proposes; emptied per check)
        self._last_type: Optional[str] = None  # "Summation is the safer choice. Its mean ...": the type "its" means
        # a table cell's row label or column header, when it pins an epoch or says "mean" ("Test accuracy after
        # epoch 1", "Mean epoch of peak"): the words a cell's number is read with but does not hold itself
        self._cell_label = ""

    # -- entry point ------------------------------------------------------------------------------
    def verify(self, text: str) -> VerifyResult:
        res = VerifyResult()
        self._last_trial = self._last_type = None
        self.claims.previous = self.claims.section = ""
        self._proposals.clear()
        if len(text) > MAX_CHECKED:
            text, res.truncated = text[:MAX_CHECKED], True
        lines = text.split("\n")
        in_code = False
        section = ""
        header: Optional[list[str]] = None
        intro = ""
        row_no = 0
        list_no = 0
        proposals_follow = False
        intro_indent: Optional[int] = None  # the indentation of a numbered item that introduces a list
        for lineno, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith("```") or stripped.startswith("~~~"):
                in_code = not in_code
                continue
            if in_code:
                continue
            bold = BOLD_HEADING.match(stripped)
            if re.match(r"#{1,6}\s", stripped) or bold:
                proposals_follow = False
                # a bold line of its own ("**4. Next steps**") is a heading too: models write them instead of ##
                section = stripped.lstrip("#").strip() if not bold else (bold.group(1) or bold.group(2))
                header = None
                intro = section
                intro_indent = None
                self._last_trial = self._last_type = None
                self.claims.previous = ""
                self.claims.section = section
                continue
            recommend = bool(RECOMMEND_HEADING.search(section)) or bool(
                re.match(r"\W*(?:recommendations?|next steps?|suggestions?|future work)\W*:", stripped, re.I)) or (
                proposals_follow and bool(re.match(r"(?:[-*+]|\d+[.)])\s", stripped)))  # the items after "Recommended next steps:"
            if recommend and re.search(r"\b(?:conclusions?|summary|takeaways?|findings|wrap-up)\b", section, re.I) \
                    and not proposals_follow and not PROPOSAL.search(stripped):
                recommend = False  # "Conclusion and Next Steps": its findings are claims, its proposals are not
            if re.search(r"\b(?:next steps?|recommendations?|suggestions?)\W*:?\W*$", stripped, re.I):
                proposals_follow = True  # "... is the best choice. Next steps:": what follows proposes
            if stripped.startswith("|"):
                cells = [c.strip() for c in stripped.strip("|").split("|")]
                if all(re.fullmatch(r":?-{2,}:?", c) or c == "" for c in cells):
                    continue  # separator row
                nxt = lines[lineno].strip() if lineno < len(lines) else ""
                if header is None and re.fullmatch(r"\|?\s*:?-{2,}.*", nxt):
                    header = cells
                    row_no = 0
                    continue
                row_no += 1
                # a table under "The top three by best test accuracy are:" ranks its rows, rank column or not
                ranks_rows = intro != section and bool(TOP_N_WORDS.search(intro)) and not re.search(
                    r"\b(worst|lowest|bottom)\b", intro, re.I)
                self._table_row(cells, header or [], lineno, recommend, res, row_no if ranks_rows else None)
                continue
            header = None
            if stripped.startswith(">") and "fact" in stripped.lower() and "check" in stripped.lower():
                continue
            item = re.match(r"(\d+)[.)]\s+(.*)", stripped)
            indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
            if (item or re.match(r"[-*+]\s", stripped)) and intro_indent is not None and indent <= intro_indent:
                intro = section  # "2. **Spread:** ..." after "1. **Top three** (ranked ...):": a sibling, not a ranked entry
            if item and RANKING_INTRO.search(intro):
                # an ordered list under "Top 3 trials:" ranks its trials
                ids = [f"t{int(x.group(1)):03d}" for x in TRIAL_ID.finditer(item.group(2))]
                ids = [i for i in ids if i in self.trial_ids]
                first = TRIAL_ID.search(item.group(2))
                head = item.group(2)[:first.start()] if first else item.group(2)
                typed = any(p.search(head) for p in TYPE_WORDS.values())  # "2. Multiplication: t004", a list by type
                if not ids and not TYPED_ITEM.match(item.group(2)):
                    # "3. **Summation, λ = 0.01** — 87.4%": a trial named by its parameters
                    by_params = self.reader.trials_from_params(prose_text(item.group(2)))[0]
                    ids, typed = (sorted(by_params), False) if by_params is not None and len(by_params) == 1 else ([], typed)
                if ids and not typed and not re.search(r"\b(worst|lowest|bottom)\b", intro, re.I):
                    res.n_checked += 1
                    self._check_rank(int(item.group(1)), ids[0], item.group(1) + ".", stripped, lineno, res)
            bullet = re.match(r"(?:[-*+]|\d+[.)])\s+(.*)", stripped)
            medal = re.match(r"\W*?(🥇|🥈|🥉)", bullet.group(1) if bullet else stripped)
            hashed = re.match(r"[*_\s]*#\s*([1-9])\s*[—–:-]\s*", bullet.group(1) if bullet else stripped)
            if hashed and not recommend:
                # "**#3 — t007** (Summation, ...)": the number after "#" is a rank
                text = prose_text((bullet.group(1) if bullet else stripped)[hashed.end():])
                who = self.reader.trials_in(text.split("(")[0]) or self.reader.trials_from_params(text.split(":")[0])[0]
                if who is not None and len(who) == 1:
                    res.n_checked += 1
                    self._check_rank(int(hashed.group(1)), next(iter(who)), f"#{hashed.group(1)}", stripped, lineno, res)
            if medal and not recommend:
                # "🥉 **t006** — Summation, lr 0.03": a medal is a rank (gold, silver, bronze)
                text = prose_text(stripped[medal.end():])
                who = self.reader.trials_in(text.split("(")[0]) or self.reader.trials_from_params(text)[0]
                if who is not None and len(who) == 1:
                    res.n_checked += 1
                    self._check_rank("🥇🥈🥉".index(medal.group(1)) + 1, next(iter(who)), medal.group(1), stripped, lineno, res)
            if bullet and not item and TOP_N_WORDS.search(intro) and intro != section and intro.rstrip("*_ ").endswith(":"):
                list_no += 1  # "Top 3 configurations:" then "- ..." items: the order is the rank
                self._check_listed(list_no, bullet.group(1), stripped, intro, lineno, res)
            elif not bullet:
                list_no = 0
            if bullet and TYPED_ITEM.match(bullet.group(1)) and BEST_PER_TYPE.search(intro):
                self._check_type_best(prose_text(bullet.group(1)), stripped, lineno, res)
            if stripped and (not re.match(r"[-*+]\s", stripped) or stripped.rstrip("*_ ").endswith(":")) and (
                    not item or stripped.rstrip("*_ ").endswith(":")):
                # (a numbered finding that says "Top run" does not make the next findings a ranking; "* **Top 3
                # configurations:**" introduces the list indented under it)
                intro = stripped
                intro_indent = indent if item or re.match(r"[-*+]\s", stripped) else None
            self._prose(prose_text(line), lineno, recommend, res)
        return res

    # -- prose ---------------------------------------------------------------------------------------
    def _prose(self, text: str, lineno: int, recommend: bool, res: VerifyResult) -> None:
        if not text.strip():
            self._last_trial = self._last_type = None
            self.claims.previous = ""
            return
        for sent in sentences(text):
            if not recommend:
                self._param_words(sent, lineno, res)
            n_before = len(res.mismatches)
            toks = list(numbers(sent))
            ids = [f"t{int(x.group(1)):03d}" for x in TRIAL_ID.finditer(sent)]
            ids = list(dict.fromkeys(i for i in ids if i in self.trial_ids))
            # "It reached ...": the trial of the previous sentence
            # "Its high point came in epoch 20, though it slipped below t003": before the first trial written,
            # the pronoun's trial is the subject
            first_id = TRIAL_ID.search(sent).start() if ids else len(sent)
            pronoun = self._last_trial if (not ids or re.search(r"[,;]|\s(?:though|but|while|whereas)\s", sent[:first_id])) \
                and PRONOUN.match(sent.strip()) and not re.match(
                r"\W*(?:its|their)\s+(?:[\w-]+\s+)?(?:twin|counterpart|sibling|neighbou?r|rival|runner-up|competitor)\b",
                sent, re.I) else None
            typed_at = [(x.start(), t) for t, p in TYPE_WORDS.items() for x in p.finditer(sent)]
            first_type = min((i for i, _ in typed_at), default=len(sent))
            pronoun_type = self._last_type if not ids and re.match(r"\W*(?:its|their|it|they)\b", sent, re.I) else None
            topn = TOP_N.search(sent)
            n_top = count_of(topn.group(1)) if topn else 0
            listed = [f"t{int(x.group(1)):03d}" for x in TRIAL_ID.finditer(sent[topn.end():])] if topn else []
            if topn and not listed:
                listed = self._listed_by_params(sent[topn.end():], n_top)
                ids = ids or listed
            # "Top-3 by final test accuracy: ...": ranked by the final one
            by_final = bool(topn) and bool(re.match(r"[^:;]{0,30}\bfinal\b", sent[topn.end():], re.I))
            order, measure = (self._ranked_final(), "final test accuracy") if by_final else (self.ranked, "best test accuracy")
            if topn and not recommend and len(listed) == n_top > len(set(listed)):
                res.n_checked += 1
                twice = sorted({t for t in listed if listed.count(t) > 1})
                self._flag(res, topn.group(0), sent, lineno, f"{', '.join(map(self.who, twice))} listed twice in the {topn.group(0)}",
                           f"the {topn.group(0)} by {measure} are " + ", ".join(self.who(t) for t in order[:n_top]))
            elif topn and not recommend and len(ids) == n_top >= 2 and order:
                res.n_checked += 1
                want = order[:len(ids)]
                if set(ids) != set(want):
                    self._flag(res, topn.group(0), sent, lineno, f"{', '.join(map(self.who, ids))} called the {topn.group(0)}",
                               f"the {topn.group(0)} by {measure} are {', '.join(map(self.who, want))}")
                elif ids != want:
                    self._flag(res, topn.group(0), sent, lineno, f"the {topn.group(0)} listed out of rank order",
                               f"by {measure} the order is {', '.join(map(self.who, want))}")
            prev: Optional[Ctx] = None
            prev_end = 0
            for k, m in enumerate(toks):
                nxt_start = toks[k + 1].start() if k + 1 < len(toks) else len(sent)
                left = sent[prev_end:m.start()]
                right = sent[m.end():nxt_start]
                ctx = self.reader.context(sent, left, right, prev, m)
                if pronoun and (ctx.trials is None or (not ctx.explicit_trial and ctx.trials == {pronoun})
                                or m.end() <= first_id):
                    ctx.trials, ctx.explicit_trial = {pronoun}, True
                if pronoun_type and not ctx.explicit_trial and m.start() < first_type and not any(
                        p.search(re.split(r"[,;]|\b(?:and|while|whereas|but)\b", right)[0]) for p in TYPE_WORDS.values()):
                    ctx.types, ctx.trials = {pronoun_type}, None
                if topn and ctx.metric is None and ctx.unit == "%":
                    ctx.metric, ctx.split, ctx.stat = "acc", ctx.split or "test", ctx.stat or "best"
                if (ctx.superlative or ctx.rank) and ctx.metric is None and ctx.unit == "%":
                    ctx.metric = "acc"  # "the best run is t004 at 88.38%": ranking is by test accuracy
                prev, prev_end = ctx, m.end()
                self._check(m, ctx, sent, lineno, recommend, res)
            if not recommend and len(res.mismatches) == n_before:
                # a sentence whose numbers were already flagged is one wrong claim: one entry, not two
                self.claims.check(sent, lineno, res)
            self.claims.previous = sent
            subject = {t for i, t in typed_at if i == first_type}
            subject_first = len(re.split(r"[,:]", sent[:first_type])[-1].split()) <= 3  # "Overall, Summation is ..."
            self._last_type = next(iter(subject)) if not ids and len(subject) == 1 and subject_first else (
                pronoun_type if not typed_at else None)
            if ids:
                self._last_trial = ids[-1] if len(ids) == 1 else None
            else:
                by_params = self.reader.trials_from_params(sent)[0]
                if by_params is not None and len(by_params) == 1:
                    self._last_trial = next(iter(by_params))  # "The Summation λ = 0.001, lr = 0.01 run ...": "It ..."

    def _listed_by_params(self, text: str, n: int) -> list[str]:
        """"The top three: Summation λ = 0.001, Multiplication λ = 0.001 and Summation λ = 0.0001": the
        trials a list names by their parameters, when each of its n items names exactly one."""
        body = re.split(r"[.;](?:\s|$)", re.sub(r"^[^:]*?(?::|\b(?:were|are|was|is)\b)", "", text, count=1))[0]
        items = [i for i in re.split(r",\s*(?:and\s+|then\s+)?|\s+and\s+|\s+then\s+", body) if i.strip()]
        if len(items) != n:
            return []
        out = []
        for item in items:
            who = self.reader.trials_from_params(prose_text(re.sub(r"\([^)]*\)", "", item)))[0]
            if who is None or len(who) != 1:
                return []
            out.append(next(iter(who)))
        return out

    def _check_listed(self, rank: int, text: str, quote: str, intro: str, lineno: int, res: VerifyResult) -> None:
        if TYPED_ITEM.match(text) or re.search(r"\b(worst|lowest|bottom)\b", intro, re.I):
            return
        ids = self.reader.trials_in(text) or self.reader.trials_from_params(prose_text(text))[0]
        if ids is not None and len(ids) == 1:
            res.n_checked += 1
            self._check_rank(rank, next(iter(ids)), text.split("(")[0].strip(" *_-—"), quote, lineno, res)

    def _check_type_best(self, item: str, quote: str, lineno: int, res: VerifyResult) -> None:
        """"- No regularization: lr=0.003 — 84.49%" under "Best per type:": the trial named must be that type's best."""
        typ = next((t for t, p in TYPE_WORDS.items() if p.match(item.lstrip(" *_"))), None)
        best = self.fs.best_per_type.get(typ or "")
        if best is None:
            return
        ids = self.reader.trials_in(item)
        if ids is None:
            ids = self.reader.trials_from_params(item)[0]
            ids = {t for t in ids or () if self.types.get(t) == typ} or None
        if ids is None or len(ids) != 1:
            return
        res.n_checked += 1
        tid = next(iter(ids))
        if tid != best:
            self._flag(res, item.split(":")[0].strip(" *_") + ":", quote, lineno, f"{self.who(tid)} is called the best {typ} trial",
                       f"the best {typ} trial is {self.who(best)} "
                       f"({self.fs.facts[f'trial.{best}.test_acc_best'].display()} best test accuracy; "
                       f"{self.who(tid)}: {self.fs.facts[f'trial.{tid}.test_acc_best'].display()})")

    def _param_words(self, sent: str, lineno: int, res: VerifyResult) -> None:
        """"wn=False", "opt: sgd": a parameter value that is not a number, stated as used, must be one a
        trial used (numbers are checked where they stand). Proposals and negations ("no trial used
        wn=False") state nothing about the sweep."""
        if PROPOSAL.search(sent):
            return
        for m in PARAM_ANY.finditer(sent):
            key = next(k for k, v in m.groupdict().items() if v and k != "val")
            val = m.group("val")
            if _is_num(val) or key not in self.param_values:
                continue
            res.n_checked += 1
            if NEGATION.search(sent[:m.start()]):
                continue
            used = {v.lower() for v in self.param_values[key]}
            if format_param(value_of(val)).lower() not in used:
                self._flag(res, m.group(0), sent, lineno, f"{m.group(0)}: no trial used {key} = {val}",
                           f"{key} in this sweep: {', '.join(sorted(self.param_values[key]))}")

    def _table_row(self, cells: list[str], header: list[str], lineno: int, recommend: bool, res: VerifyResult,
                   row_rank: Optional[int] = None) -> None:
        row_text = " | ".join(cells)
        row_trials = self.reader.trials_in(row_text)
        named = " ".join(f"{h}={c}" for h, c in zip(header, cells)
                         if param_name(h + " =") and re.fullmatch(r"[\w.+-]+", c.strip()))
        row_param_trials, row_params = self.reader.trials_from_params(row_text + " " + named)
        row_types = {t for t, p in TYPE_WORDS.items() if p.search(row_text)}
        quote = f"| {row_text} |"
        # "| Metric | Summation | Multiplication |": the metric is in the row label and the trial or type
        # in the column header (the transpose of the usual layout)
        transposed = len(header) >= 2 and len(cells) >= 2 and self._subject(cells[0]) is None \
            and sum(self._subject(h) is not None for h in header[1:]) * 2 >= len(header) - 1
        rank_col = any(re.fullmatch(r"(rank|#|pos(ition)?|place)\.?", h.strip(), re.I) for h in header)
        one = row_trials if row_trials and len(row_trials) == 1 else \
            row_param_trials if row_param_trials is not None and len(row_param_trials) == 1 else None
        if row_rank is not None and not rank_col and not transposed and one:
            res.n_checked += 1
            self._check_rank(row_rank, next(iter(one)), cells[0], quote, lineno, res)
        for ci, cell in enumerate(cells):
            head = header[ci] if ci < len(header) else ""
            if transposed:
                if ci == 0:
                    continue
                subject = self._subject(head)
                row_trials, row_types = (subject or (None, set()))
                row_param_trials, row_params = None, {}
                self._check_extreme_cell(cells[0], cell, head, row_trials, row_types, quote, lineno, res)
                if row_trials is None and len(row_types) == 1 and re.search(r"\bbest\b", cells[0], re.I):
                    best = self.fs.best_per_type.get(next(iter(row_types)))
                    row_trials = {best} if best and re.search(r"\bepoch|trial|run|config", cells[0], re.I) else None
                elif row_trials is None and row_types:
                    row_param_trials = {t for t in self.ranked if self.types[t] in row_types} or None
                head = cells[0]
            if re.fullmatch(r"(rank|#|pos(ition)?|place)\.?", head.strip(), re.I):
                m = re.fullmatch(r"#?\s*(\d+)\.?", cell.strip())
                if m and one:
                    res.n_checked += 1
                    self._check_rank(int(m.group(1)), next(iter(one)), cell, row_text, lineno, res)
                continue
            if ci == 1 and len(header) >= 2 and re.search(r"\bparam", header[0], re.I) and re.search(r"\bvalue", head, re.I):
                key = param_name(cells[0].strip(" `*") + " =")  # "| `lr` | 0.1, 0.03, 0.01, 0.003 |": each value was used
                if key in self.param_values:
                    for num in numbers(cell):
                        q = Quoted.read(num)
                        if q is None:
                            continue
                        res.n_checked += 1
                        vals = self.param_values[key]
                        if not any(_close(q.x, value_of(v), q.tol) for v in vals if _is_num(v)):
                            self._flag(res, q.raw, quote, lineno, f"{key} = {q.raw} was not used by any trial",
                                       f"{key} values in this sweep: {', '.join(sorted(vals))}")
                    continue
            group = row_trials or row_param_trials or ({t for t in self.ranked if self.types[t] in row_types} if row_types else None)
            if not transposed and re.search(r"\b(?:spread|diff(?:erence)?|delta|swing)\b|Δ", head, re.I) \
                    and not re.search(r"\b(?:gap|train)", head, re.I) and group and len(group) >= 2:
                self._check_row_spread(cell, head, group, quote, lineno, res)
                continue
            head_param = param_name(head + " =")
            if transposed:  # "Final train accuracy (best trial)": "best" names the trial, not the statistic
                head = re.sub(r"\([^)]*\)|\bbest (?:trial|run|config\w*)\b", "", head, flags=re.I)
            hctx = self.reader.context(head, head, "", None, None)
            self._cell_label = head
            prev: Optional[Ctx] = None
            for piece in bounded(cell):
                prev_end = 0
                for m in numbers(piece):
                    left = piece[prev_end:m.start()]
                    right = piece[m.end():]
                    ctx = self.reader.context(piece, left, right, prev, m)
                    prev, prev_end = ctx, m.end()
                    if head_param and not ctx.metric:
                        ctx.param = ctx.param or head_param
                    if ctx.kind is None and re.search(r"\(\s*$", left) and re.search(r"\(epoch|epoch\)", head, re.I):
                        ctx.kind = "epoch"
                    if ctx.kind is None and transposed and re.search(r"\bepoch\b", head, re.I) and not m.group("unit"):
                        ctx.kind, ctx.stat = "epoch", "best" if re.search(r"\bbest|peak", head, re.I) else None
                    elif ctx.kind is None and not m.group("unit") and _BEST_EPOCH_HEAD.search(head):
                        ctx.kind, ctx.stat = "epoch", "best"  # "| Best Epoch |", "| Epoch of peak |": the epoch of the row's best
                    for attr in ("metric", "split", "stat"):
                        if getattr(ctx, attr) is None:
                            setattr(ctx, attr, getattr(hctx, attr))
                    if not ctx.superlative and hctx.superlative:
                        ctx.superlative = True
                    if not ctx.explicit_trial:
                        if row_trials:
                            ctx.trials, ctx.explicit_trial = set(row_trials), True
                        elif row_param_trials is not None:
                            ctx.trials = row_param_trials
                            ctx.explicit_trial = len(row_param_trials) == 1
                            ctx.params = row_params
                    ctx.types |= row_types
                    self._check(m, ctx, quote if len(row_text) <= MAX_SPAN else piece, lineno, recommend, res)
        self._cell_label = ""

    def _check_row_spread(self, cell: str, head: str, group: set[str], quote: str, lineno: int, res: VerifyResult) -> None:
        """"| Summation, λ = 0.001, lr = 0.01 | 89.29 | 90.06 | 89.7 | 0.77 |" under "Seed spread (pp)": the
        highest minus the lowest best test accuracy of the row's trials."""
        num = next(iter(numbers(cell)), None)
        q = Quoted.read(num) if num is not None else None
        vals = [float(self.rows[t]["test_acc_best"]) * 100 for t in self.ranked if t in group]
        if q is None or len(vals) < 2:
            return
        res.n_checked += 1
        spread = max(vals) - min(vals)
        if abs(spread - abs(q.x)) > q.tol + 1e-6:
            self._flag(res, q.raw, quote, lineno, f"{q.raw} given as the {head.strip()} of the row's {len(vals)} trials",
                       f"their best test accuracies differ by {spread:.2f} pp ({max(vals):.2f}% and {min(vals):.2f}%)")

    # -- checks ---------------------------------------------------------------------------------------
    def _check(self, m: re.Match[str], ctx: Ctx, quote: str, lineno: int, recommend: bool, res: VerifyResult) -> None:
        q = Quoted.read(m)
        if q is None:
            res.n_skipped += 1
            return
        raw, x, dec, unit, pct, pp = q.raw, q.x, q.dec, q.unit, q.pct, q.pp
        left, right = m.string[max(0, m.start() - 12):m.start()], m.string[m.end():m.end() + 12]
        if not pct and not pp and (DATE_AROUND.search(left) or DATE_AROUND.search(right)):
            res.n_skipped += 1  # "27 November 2026": a date
            return
        if STATISTIC.search(m.string[max(0, m.start() - 30):m.start()]):
            res.n_skipped += 1  # "Spearman ρ ≈ 0.55": a statistic the writer computed, which no fact holds
            return
        if recommend and not ctx.explicit_trial and not ctx.superlative and not (ctx.param and not pct and not pp):
            res.n_skipped += 1  # a recommendation proposes values and thresholds; only results it credits to a trial are checked
            return
        if not pct and not pp and ctx.metric is None and not ctx.explicit_trial and self._proposes(quote) \
                and not any(self._match(f, q) for f in self._index.near(q)):
            res.n_skipped += 1  # "increase the epochs to 40": a proposal, not a result
            return
        listed = None if ctx.param or pct or pp or recommend or self._proposes(quote) else _VALUE_LIST.search(m.string[:m.start()])
        if listed and not re.match(r"\s*(?:%|pp|epochs?)\b", m.string[m.end():], re.I):
            # "the learning rate, testing two values: 0.01 and 0.03", "λ ∈ {0.01, 0.001}": each value listed was used
            key = next(k for k, rx in _PARAM_NAMES if re.fullmatch(rx, listed.group("name"), re.I))
            res.n_checked += 1
            values = self.param_values.get(key, set())
            if values and not any(_close(x, value_of(v), q.tol) for v in values if _is_num(v)):
                name = "λ" if key == "lambda" else key
                self._flag(res, raw, quote, lineno, f"{name} = {raw} was not used by any trial",
                           f"{name} values in this sweep: {', '.join(sorted(values, key=float))}")
            return
        if not ctx.param and not pct and not pp and self._names_param_value(q, quote):
            res.n_skipped += 1  # "0.01 > 0.03 > 0.1" after "learning rates": parameter values, not results
            return
        if ctx.param in ("lr", "lambda", "l2_sum_lambda", "l2_mul_lambda") and x > 1 or ctx.param == "batchsize" and x != int(x):
            ctx.param = None  # "at every λ (89.15 vs 88.12; ...)": results in brackets after a name, not its values
        if ctx.param and not pct and not pp:
            if recommend or self._proposes(quote):
                res.n_skipped += 1
                return
            res.n_checked += 1
            values = self.param_values.get(ctx.param, set())
            used = any(_close(x, value_of(v), q.tol) for v in values if _is_num(v)) \
                or (ctx.param == "seed" and any(_close(x, k, q.tol) for k in self.known_numbers))  # the dataset's own seed
            clause = re.split(r"[,;:(]|\.\s", m.string[:m.start()])[-1]
            if (UNUSED_BEFORE.search(clause) and not _SAID_OF_THEM.match(m.string[m.end():])) or UNUSED_AFTER.match(m.string[m.end():]):
                # "λ = 0.003 was not part of this grid", "No run used a batch size of 64": said to be unused
                if used:
                    self._flag(res, raw, quote, lineno, f"{ctx.param} = {raw} is said not to be used",
                               f"{ctx.param} values in this sweep: {', '.join(sorted(values))}")
            elif not used:
                self._flag(res, raw, quote, lineno, f"{ctx.param} = {raw} was not used by any trial",
                           f"{ctx.param} values in this sweep: {', '.join(sorted(values)) or 'none'}")
            return
        before = m.string[max(0, m.start() - 40):m.start()]
        until = re.match(r"\s*(?:%|pp)?\s*(?:test accuracy\s+)?(?:until|till|before)\s+(?:epoch\s+)?(\d+)\b", m.string[m.end():], re.I)
        if pct and until and ctx.trials and len(ctx.trials) == 1 and re.search(r"\b(?:not|never|n't)\b", before, re.I):
            # "t005 did not cross 84% until epoch 21": the first epoch above that value
            t = next(iter(ctx.trials))
            curve = self.curves.curve(t, "test_acc")
            first = next((e for e, val in curve if val * 100 > x), None)
            res.n_checked += 1
            if first != int(until.group(1)):
                self._flag(res, raw, quote, lineno, f"{self.who(t)} said first to pass {raw} at epoch {until.group(1)}",
                           f"it first passed {raw} at epoch {first}" if first else f"it never passed {raw}")
            return
        if not pct and not pp and re.search(r"\bepochs?\s*\(\s*(?:#\s*)?$", before, re.I):
            # "its best came at the very last epoch (25)": the number names the epoch
            if re.search(r"\b(?:last|final)\s+epochs?\s*\(\s*$", before, re.I):
                res.n_checked += 1
                tids = ctx.trials if ctx.trials and ctx.explicit_trial else set()
                ends = {int(self.fs.facts[f"trial.{t}.epochs_done"].value) for t in tids
                        if f"trial.{t}.epochs_done" in self.fs.facts} or {self.fs.n_epochs}
                if x not in ends:
                    self._flag(res, raw, quote, lineno, f"epoch {raw} called the last epoch",
                               f"the last epoch is {', '.join(map(str, sorted(ends)))}")
                return
            ctx.kind, ctx.metric = "epoch", None
        if unit.rstrip("s") in ("epoch",) or "/" in unit:
            ctx.metric = "eps"
        if unit in DURATION_UNITS:
            ctx.metric = "duration"
        if ctx.kind == "rank" and not pct and not pp:
            if ctx.rank is not None and ctx.trials and ctx.explicit_trial:
                res.n_checked += 1
                self._check_rank(ctx.rank, next(iter(ctx.trials)), raw, quote, lineno, res)
            else:
                res.n_skipped += 1
            return
        if ctx.rank is not None and ctx.explicit_trial and ctx.metric is None and not pct and dec == 0 and x == ctx.rank:
            res.n_checked += 1
            self._check_rank(ctx.rank, next(iter(ctx.trials or [])), raw, quote, lineno, res)
            return
        if not pct and not pp and dec == 0 and re.match(r"\s*(?:of|out of)\s+\d+", m.string[m.end():m.end() + 12]) \
                and not re.search(r"epochs?\s*#?\s*$", m.string[max(0, m.start() - 10):m.start()], re.I) \
                and any(rx.search(quote) for _, rx in FLAG_WORDS):
            ctx.kind = "count"  # "(12 of 36) carry an overfitting flag"
        if ctx.kind == "count" and not pct and not pp:
            self._check_count(q, m, quote, lineno, res)
            return
        if ctx.kind == "epoch_total" and not pct and not pp:
            res.n_checked += 1
            done = self.fs.facts.get(f"trial.{next(iter(ctx.trials))}.epochs_done") if ctx.trials and ctx.explicit_trial else None
            if not (x == self.fs.n_epochs or (done is not None and x == done.value)):
                self._flag(res, raw, quote, lineno, f"{raw} epochs in total does not match the run",
                           f"n_epochs = {self.fs.n_epochs}")
            return
        if ctx.kind == "epoch" and not pct and not pp and _MEAN.search(self._cell_label + " " + m.string[max(0, m.start() - 30):m.start()]):
            # "Mean epoch of peak | 15.67": the mean best epoch of the trials of that column
            res.n_checked += 1
            self._check_group_mean(q, ctx, "test_acc_best_epoch", quote, lineno, res)
            return
        if ctx.kind in ("epoch", "epoch_count") and not pct and not pp and ctx.metric != "eps" \
                and SETTLED.search(m.string[max(0, m.start() - 60):m.start()]):
            res.n_checked += 1
            self._check_settled(q, ctx, quote, lineno, res)
            return
        if ctx.kind == "epoch_count" and not pct and not pp:
            if recommend or self._proposes(quote):
                res.n_skipped += 1  # "train for 50 epochs": a proposal
                return
            res.n_checked += 1
            if x != int(x) or x > max(self.fs.n_epochs, 1):
                self._flag(res, raw, quote, lineno, f"{raw} epochs is more than the sweep ran", f"n_epochs = {self.fs.n_epochs}")
            return
        if ctx.kind == "epoch" and not pct and not pp and ctx.metric != "eps":
            res.n_checked += 1
            self._check_epoch(q, ctx, m, quote, lineno, res)
            return
        if not pct and not pp and re.match(r"\s*(?:×|x\b|-?fold\b|times\b)", m.string[m.end():], re.I):
            res.n_skipped += 1  # "a 100× range": a ratio the writer computed
            return
        if not pct and not pp and re.search(r"(?:\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
                                            r"(?:out\s+)?of\s+(?:the\s+|all\s+)?|\d\s*/\s*)$", m.string[max(0, m.start() - 20):m.start()], re.I):
            res.n_skipped += 1  # "six of the 12 finished above 86%", "2/6 runs": the whole a count is out of
            return
        # trial numbers, list markers, small counts and years carry no claim that can be checked
        if ctx.metric is None and not pct and not pp and dec == 0 and (x <= 10 or 1900 <= x <= 2100):
            res.n_skipped += 1
            return
        own_left = re.split(r"[,;:]|\b(?:while|whereas|but)\b", m.string[:m.start()])[-1]
        if pp and _SPREAD.search(own_left) and not re.search(r"\bgaps?\b|overfit|train", own_left, re.I) \
                and not re.match(r"\s*of\b", m.string[m.end():]) and self._check_spread(q, own_left, quote, lineno, res):
            return
        res.n_checked += 1
        if ctx.metric is None and (pct or pp):
            if pct and re.match(r"\s*(above|below|higher|lower|more|less|up|down|over|under|drop|rise)\b"
                                r"(?!\s+(?:the|all|both|its|their|each|every|\d+)\b)", m.string[m.end():], re.I):
                ctx.metric = "change"  # "10% above its minimum": a relative change
            else:
                piece = re.split(_PIECE_CUT, m.string[:m.start()])[-1]
                typed = ctx.stat == "mean" and any(p.search(piece) for p in TYPE_WORDS.values()) and bool(
                    re.search(r"\b(?:averag(?:ed|es|ing)|mean(?:s)?\s+(?:of|is|was|were))\s*(?:of\s+|about\s+|~)?$", piece, re.I))
                # ("the two unregularized runs averaged 84.49%": a type's mean is its mean best test accuracy)
                ctx.metric = "gap" if pp else ("acc" if ctx.own_split or ctx.trials is not None or typed else None)
        elif ctx.metric is None and ctx.own_split and 0 < x <= 1 and dec >= 2:
            ctx.metric = "acc"  # "scored 0.873 on the test set"
        if ctx.metric is None:
            self._nowhere(q, ctx, m, quote, lineno, res)
            return
        if ctx.metric == "acc" and pp:
            ctx.metric = "gap"
        self._metric_check(q, ctx, m, quote, lineno, res)
        if ctx.rank is not None and ctx.explicit_trial and ctx.trials:
            self._check_rank(ctx.rank, next(iter(ctx.trials)), raw, quote, lineno, res)

    def _check_count(self, q: Quoted, m: re.Match[str], quote: str, lineno: int, res: VerifyResult) -> None:
        """"12 of 36 carry an overfitting flag", "3 trials diverged": a count of flagged trials is
        checked against the flags; other counts ("top 3", "4 of 6 trials") are not."""
        after = re.split(r"[(,;]", m.string[m.end():m.end() + 45])[0]
        hits = [(x.start(), k) for k, rx in FLAG_WORDS if (x := rx.search(after))]
        if not hits:
            hits = [(-x.start(), k) for k, rx in FLAG_WORDS if (x := rx.search(m.string[max(0, m.start() - 30):m.start()]))]
        kind = min(hits)[1] if hits else None  # "11 of 12 runs completed and one diverged": the word nearest after it
        if kind is None or re.search(r"(?:\bof|/|\bout of)(?:\s+(?:the|all|its|their))?\s*$", m.string[max(0, m.start() - 14):m.start()],
                                     re.I) or re.match(r"\s*(?:out\s+)?of\s+(?:the\s+|all\s+)?\d+\s+(?:completed|finished)\b", after, re.I):
            # ("23 of the 35 completed runs peaked late": "completed" says what the 35 are, not the 23)
            res.n_skipped += 1  # "4 of 6 trials", "top 3"; the "36" of "12 of 36" is the whole
            return
        res.n_checked += 1
        t = self.fs.trials
        ids = sorted({f.trial_id for f in self.fs.flags if f.kind == kind}) if kind not in ("completed", "failed") \
            else sorted(t.index[t["status"] == kind])
        if kind == "diverged":
            ids = sorted(t.index[t["diverged"].astype(bool)])
        if q.x != len(ids):
            self._flag(res, q.raw, quote, lineno, f"{q.raw} trials said to be {kind.replace('_', ' ')}",
                       f"{len(ids)} are: " + (", ".join(self.who(x) for x in ids[:4]) + (", …" if len(ids) > 4 else "")
                                              if ids else "none"))

    def _check_settled(self, q: Quoted, ctx: Ctx, quote: str, lineno: int, res: VerifyResult) -> None:
        """"converged within 10 epochs", "plateaued after epoch 12": against curves.converged_epoch
        (the trials named, else those of the types named, else all; "most": more than half must)."""
        named = ctx.trials if ctx.trials and ctx.explicit_trial else \
            self.reader.trials_in(quote) or self.reader.trials_from_params(quote)[0]
        if named is None and ctx.types:
            named = {t for t in self.ranked if self.types[t] in ctx.types}
        group = [t for t in (self.ranked if named is None else named)
                 if t in self.ranked and self.curves.converged_epoch(t) is not None]
        if not group or q.span:
            return
        slack = SETTLE_SLACK + (1 if q.approx else 0)
        late = [(t, self.curves.converged_epoch(t)) for t in group]
        late = [(t, e) for t, e in late if e is not None and e > q.x + slack]
        most = re.search(r"\b(most|majority|nearly all|almost all)\b", quote, re.I)
        bad = len(late) * 2 > len(group) if most else bool(late)
        if bad:
            shown = "; ".join(f"{self.who(t)} settled at epoch {e} (best {self.fs.trials.loc[t, 'test_acc_best'] * 100:.2f}% "
                              f"at epoch {int(self.fs.trials.loc[t, 'test_acc_best_epoch'])})" for t, e in late[:3])
            self._flag(res, q.raw, quote, lineno,
                       f"settled by epoch {q.raw} does not hold for {len(late)} of the {len(group)} trials meant", shown)

    def _check_epoch(self, q: Quoted, ctx: Ctx, m: re.Match[str], quote: str, lineno: int, res: VerifyResult) -> None:
        x, raw = q.x, q.raw
        n = max(self.fs.n_epochs, 1)
        if x != int(x) or not 0 <= x <= n:
            self._flag(res, raw, quote, lineno, f"epoch {raw} is outside the sweep's {n} epochs", f"n_epochs = {n}")
            return
        if ctx.trials and re.search(r"\b(diverg\w*|fail\w*|crash\w*|stopp\w*|NaN|blew up|blown up|exploded|collapsed)\b[^.;,]{0,20}$", m.string[:m.start()], re.I):
            done = self.fs.facts.get(f"trial.{next(iter(ctx.trials))}.epochs_done")
            if done is not None and x not in (done.value, done.value + 1) and len(ctx.trials) == 1 and ctx.explicit_trial:
                self._flag(res, raw, quote, lineno, f"{self.who(next(iter(ctx.trials)))} said to stop at epoch {raw}",
                           f"it logged {done.display()} epochs and stopped in epoch {int(done.value) + 1}")
            return  # "diverged at epoch 5 after reaching 72.68%": the epoch it stopped, not its best
        if _PEAK_WINDOW.search(m.string[:m.start()]):
            res.n_skipped += 1  # "none of the lr = 0.003 runs peaked before epoch 22": claims.py reads the window
            return
        # the words of the number's own clause: in "t003 led at epoch 8 with 84.5%, and t002 had reached 88.8% by
        # epoch 15" the first epoch is not a peak
        own = re.split(_PIECE_CUT, m.string[:m.start()])[-1] + m.group(0) + re.split(_PIECE_CUT, m.string[m.end():])[0]
        peak_words = re.search(r"\b(reach\w*|peak\w*|best|max\w*|highest|top\w*|high point)\b", own, re.I)
        window = re.search(r"\bbetween\s+epochs?\s+(\d+)\s+and\s+(?:epoch\s+)?$", m.string[:m.start()], re.I) or re.search(
            r"\bbetween\s+epochs?\s+$", m.string[:m.start()], re.I)
        if window and peak_words and ctx.split != "train":
            # "All Summation runs peaked between epochs 20 and 25": each trial's best epoch inside the window
            if window.lastindex is None:
                res.n_skipped += 1  # the first end: judged with the second
                return
            lo, hi = int(window.group(1)), int(x)
            clause = re.split(r"[;:]|,\s*(?:and|while|but)\b|\b(?:while|whereas)\b", m.string[:m.start()])[-1]
            group = self.reader.trials_in(clause) or self.reader.trials_from_params(clause)[0] or (
                {t for t in self.ranked if self.types[t] in self.reader._types_in(clause)} or set(self.ranked))
            best_e = {t: int(self.rows[t]["test_acc_best_epoch"]) for t in group if self.status[t] == "completed"}
            out = {t: e for t, e in best_e.items() if not lo <= e <= hi}
            res.n_checked += 1
            if out and (UNIVERSAL.search(clause) or len(best_e) == 1):
                self._flag(res, f"between epochs {lo} and {hi}", quote, lineno,
                           f"{len(out)} of the {len(best_e)} trials meant did not peak between epochs {lo} and {hi}",
                           "; ".join(f"{self.who(t)}: best at epoch {e}" for t, e in sorted(out.items())[:3]))
            return
        listed = re.search(r"\bepochs\s+(?:\d+\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*/\s*))*$", m.string[:m.start()], re.I)
        if listed and peak_words and ctx.split != "train":
            # "the two λ = 0.001 Multiplication runs at lr = 0.03 peaked at epochs 13 and 15": one epoch per trial of the
            # group its own clause names
            clause = re.split(r"[;:]|,\s*(?:and|while|but)\b|\b(?:while|whereas)\b", m.string[:m.start()])[-1]
            group = self.reader.trials_in(clause) or self.reader.trials_from_params(clause)[0] or (
                {t for t in self.ranked if self.types[t] in self.reader._types_in(clause)} or None)
            if group:
                res.n_checked += 1
                best_e = {t: int(self.rows[t]["test_acc_best_epoch"]) for t in group if self.status[t] == "completed"}
                if best_e and int(x) not in best_e.values():
                    self._flag(res, raw, quote, lineno, f"epoch {raw} given as a best epoch of {len(best_e)} trials",
                               "; ".join(f"{self.who(t)}: best at epoch {e}" for t, e in sorted(best_e.items())[:4]))
                return
        if not (ctx.trials and ctx.explicit_trial) and peak_words and UNIVERSAL.search(own) and ctx.split != "train":
            # "every lr = 0.003 run peaked at epoch 25": each trial of the group ("t030 and t031 both peaked": those two)
            wide = re.sub(r"\([^)]*\)", "", re.split(r"[;:]|\b(?:while|whereas|but)\b|,\s+and\b", m.string[:m.start()])[-1])
            named = self.reader.trials_in(wide)
            group = (named if named and len(named) >= 2 else None) or self.reader.trials_from_params(own)[0] or (
                {t for t in self.ranked if any(p.search(own) and self.types[t] == typ for typ, p in TYPE_WORDS.items())} or None)
            if group is not None and len(group) > 1:
                best_e = {t: self.rows[t]["test_acc_best_epoch"] for t in sorted(group) if self.status[t] == "completed"}
                # "in epoch 23 or later", "from epoch 20 onward": a window, not the one epoch
                side = re.match(r"\s*(?:(?:or|and)\s+(later|after|beyond|above|earlier|before|sooner)|(onwards?|on\b))", m.string[m.end():], re.I)
                later = side is not None and bool(re.match(r"later|after|beyond|above|on", side.group(1) or side.group(2), re.I))
                bad = [t for t, e in best_e.items() if e == e and (abs(e - x) > 0.5 if side is None else e < x if later else e > x)]
                if bad:
                    at = own.find(raw)
                    phrase = own[peak_words.start():at + len(raw)].strip() if at > peak_words.start() else raw
                    where = f"at epoch {raw}" if side is None else f"at epoch {raw} or {'later' if later else 'earlier'}"
                    self._flag(res, phrase, quote, lineno, f"{len(bad)} of the {len(best_e)} trials meant did not peak {where}",
                               "; ".join(f"{self.who(t)}: best at epoch {int(best_e[t])}" for t in bad[:3])
                               + ("; …" if len(bad) > 3 else ""))
                return
        if not (ctx.trials and ctx.explicit_trial) and re.search(
                r"\b(?:peak\w*|topped out|maxed out|high point|hit its best|reached its best)\b(?:[^.;]|\.(?=\d)){0,30}$",
                m.string[:m.start()], re.I):
            # "Summation λ = 0.01, wn = 0.9 peaked at 87.4% in epoch 23": the one trial the sentence names
            single = self.reader.trials_in(quote) or self.reader.trials_from_params(quote)[0]
            if single is not None and len(single) == 1:
                ctx.trials, ctx.explicit_trial = set(single), True
        window_start = re.search(r"\b(?:from|since|beyond|past)\s+epoch\s*$", m.string[:m.start()], re.I)  # "from epoch 15 onward"
        if ctx.trials and ctx.explicit_trial and ctx.metric in (None, "acc") and ctx.split != "train" and not window_start and (
                (ctx.stat == "best" and (peak_words or not ctx.superlative)) or (ctx.stat is None and peak_words)):
            # ("the early leader at epoch 8": a lead over the others at that epoch, not the trial's own peak)
            tid = next(iter(ctx.trials))
            f = self.fs.facts.get(f"trial.{tid}.test_acc_best_epoch")
            done = self.fs.facts.get(f"trial.{tid}.epochs_done")
            ok = [f.value] if f is not None else []
            if ctx.stat is None and done is not None:
                ok.append(done.value)  # "reached 86.6% at epoch 25": the last epoch is also a fact
            if f is not None and not any(_close(x, v, 0.5) for v in ok) and not self._held_at(tid, int(x), m, ctx.stat is None or ctx.superlative):
                self._flag(res, raw, quote, lineno, f"the best test accuracy of {self.who(tid)} placed at epoch {raw}",
                           f"{self.who(tid)} reached its best test accuracy, "
                           f"{self.fs.facts[f'trial.{tid}.test_acc_best'].display()}, at epoch {f.display()}")

    def _held_at(self, tid: str, epoch: int, m: re.Match[str], after_too: bool = True) -> bool:
        """Does the accuracy quoted just before "at epoch N" hold at that epoch ("was at 85.9% at epoch 9")?"""
        before = [x for x in numbers(m.string[max(0, m.start() - 40):m.start()]) if (x.group("unit") or "").strip() == "%"]
        # or just after it: "at epoch 8 with 84.5%", "at epoch 8 (84.5%)"
        after = re.match(r"\s*(?:,\s*)?(?:with|at|on|\()\s*~?", m.string[m.end():m.end() + 12], re.I)
        after_n = [x for x in numbers(m.string[m.end():m.end() + 24]) if (x.group("unit") or "").strip() == "%"][:1] \
            if after and after_too else []
        if not before and not after_n:
            return False
        q = Quoted.read((after_n or before)[-1])
        at = self.curves.at(tid, "test_acc", epoch)
        return q is not None and at is not None and abs(at * 100 - q.x) <= q.tol + 1e-9

    def _candidates(self, ctx: Ctx) -> list[Fact]:
        if ctx.stat == "mean" and ctx.metric in ("acc", "eps", None):
            group = self._group_facts(ctx)
            if group:
                facts = group
            else:
                facts = [f for f in self.all_facts if f.stat in ("mean", "range", "seed_spread") or f.name.endswith("_mean")]
                if ctx.trials is not None and ctx.explicit_trial:
                    facts += [f for t in ctx.trials for f in self.by_trial.get(t, [])]
        elif ctx.trials is not None:
            facts = [f for t in ctx.trials for f in self.by_trial.get(t, [])]
            if not ctx.explicit_trial or ctx.params:
                facts += self._group_facts(ctx)
        else:
            facts = list(self.all_facts)
        metric = ctx.metric
        out = []
        for f in facts:
            if metric == "loss" and f.metric not in ("loss", "change"):
                continue
            if metric == "gap" and f.metric != "gap":
                continue
            if metric not in ("loss", "gap") and f.metric != metric:
                continue
            if ctx.split and f.split and f.split != ctx.split and f.metric in ("acc", "loss", "change"):
                continue
            if ctx.stat == "mean" and f.metric == "acc" and f.stat in ("best", "final", "min") \
                    and f.name.startswith(("sens.", "type.")):
                continue  # "λ = 0.01 averaged 86.31%": the group's mean, not its best run
            if ctx.stat in ("best", "final") and f.stat in ("best", "final") and f.stat != ctx.stat and f.metric == "acc" \
                    and f.trial is not None and not (ctx.superlative and ctx.split == "train"):
                # (the sweep's highest train accuracy is a final one: best_train ranks by train_acc_final)
                continue  # a trial's final accuracy quoted as its best (or the reverse)
            out.append(f)
        return out

    def _group_facts(self, ctx: Ctx) -> list[Fact]:
        out = []
        for key, val in ctx.params.items():
            want = format_param(value_of(val))
            keys = [key] if key != "lambda" else [k for k, typ in (("l2_sum_lambda", "Summation"),
                                                                   ("l2_mul_lambda", "Multiplication"))
                                                  if not ctx.types or typ in ctx.types]
            for k in keys:
                out += self.groups.get(f"sens.{k}.{want}", [])
        for t in ctx.types:
            out += self.groups.get(f"type.{t}", [])
        return out

    def _metric_check(self, q: Quoted, ctx: Ctx, m: re.Match[str], quote: str, lineno: int, res: VerifyResult) -> None:
        if (q.bound or (q.span and RANGED.search(m.string[max(0, m.start() - 60):m.start()]))) \
                and self._judged_elsewhere(q, ctx, m, quote, lineno, res):
            return  # "above 85%" is a limit: that some fact is about 85% says nothing
        if ctx.metric == "acc" and ctx.split is None:
            ctx.split = "test"  # an unqualified "accuracy" in a sweep report is a test accuracy
        if ctx.metric == "gap" and q.pp and not ctx.explicit_trial and not q.span and not q.bound \
                and re.search(r"\b(difference|gap)\s+between\s+(?!~?\d)", quote, re.I) \
                and self._between_types(quote) and self.type_differences:
            # "the gap between the two groups' means is roughly 3 pp": a difference of the types' accuracies,
            # not a train − test gap (nor a rule's threshold that happens to be 3 pp)
            if not self._is_difference(q, quote):
                self._flag(res, q.raw, quote, lineno, f"{q.raw} given as the difference between the experiment types",
                           "differences of their best and mean best test accuracies: "
                           + ", ".join(f"{d * 100:.2f} pp" for d in sorted(set(round(x, 6) for x in self.type_differences))[:4]))
            return
        if ctx.metric == "gap" and q.pp and not ctx.explicit_trial and not q.span and not q.bound and len(ctx.types) == 2 \
                and _TYPES_APART.search(quote) and not _TRAIN_GAP.search(quote):
            self._check_types_apart(q, sorted(ctx.types), quote, lineno, res)
            return
        cands = self._candidates(ctx)
        if ctx.metric == "epoch":
            if ctx.explicit_trial and ctx.stat == "best":
                cands = [f for f in cands if f.name.endswith("test_acc_best_epoch")]
            elif 1 <= q.x <= max(self.fs.n_epochs, 1) and q.x == int(q.x):
                return
        if ctx.superlative and ctx.metric == "acc" and not ctx.explicit_trial:
            cands = self._superlative_cands(ctx)
        elif ctx.rank and ctx.metric == "acc" and not ctx.trials and not ctx.types and 1 < ctx.rank <= len(self.ranked) \
                and ctx.split != "train" and ctx.stat != "mean":
            # "the second-best run ... (89.29%)": the best test accuracy of the trial at that rank
            cands = [f for f in self.by_trial.get(self.ranked[ctx.rank - 1], []) if f.name.endswith(".test_acc_best")]
        matched = [f for f in cands if self._match(f, q)]
        if matched:
            if ctx.superlative and ctx.metric == "acc" and ctx.explicit_trial and ctx.trials:
                self._check_top(next(iter(ctx.trials)), ctx, q.raw, quote, lineno, res)
            elif ctx.explicit_trial and ctx.trials and len(ctx.trials) == 1 and ctx.metric in ("acc", "loss"):
                # "t002 started at 81% in epoch 1": 81% is its best, but not at epoch 1
                left = m.string[max(0, m.start() - 40):m.start()]
                epoch, by = pinned_epoch(left, m.string[m.end():m.end() + 50], self.fs.n_epochs)
                if epoch is not None and not by:
                    verdict = curve_verdict(self, q, ctx, sorted(ctx.trials), epoch, False, left)
                    if verdict:
                        self._flag(res, q.raw, quote, lineno, *verdict)
            return
        if ctx.trials is not None and not ctx.explicit_trial:
            # the trials were inherited from an earlier clause or implied by several parameters:
            # a statement about the sweep as a whole is fine too
            loose = Ctx(metric=ctx.metric, split=ctx.split, stat=ctx.stat)
            pool = self._candidates(loose)
            if ctx.params and ctx.params_near:
                pool = [f for f in pool if f.trial is None]
                if ctx.stat == "mean" and ctx.metric == "acc":
                    # "the mean at lr=0.003 is X": only that value's mean will do; but "moving from lr = 0.003
                    # to lr = 0.01 raises the mean from X to Y" binds no value to X: any group's mean may be meant
                    pool = [] if ctx.params_near else [f for f in pool if f.stat == "mean"
                                                       and f.name.startswith(("sens.", "type."))]
            if any(self._match(f, q) for f in pool):
                return
        # "t008's train–test gap is 1.27 pp" names its own measure: not a difference of two accuracies that
        # happens to be 1.27 pp
        named_gap = ctx.explicit_trial and bool(_TRAIN_GAP.search(quote + " " + self._cell_label))
        if ctx.metric == "gap" and not named_gap and (self._is_difference(q, quote) or self._is_change(q, ctx, m, quote)
                                                      or self._is_type_edge(q, quote)):
            return
        behind = _BEHIND.match(m.string[m.end():m.end() + 30])
        one = ctx.trials if ctx.trials and len(ctx.trials) == 1 else None
        if behind and one and (q.pp or ctx.metric == "gap") and next(iter(one)) in self.ranked:
            # "t004 is 0.30 pp behind": behind the best run, or the one ranked just above it
            t = next(iter(one))
            i = self.ranked.index(t)
            bests = [float(self.rows[x]["test_acc_best"]) * 100 for x in self.ranked]
            gaps = [bests[0] - bests[i]] + ([bests[i - 1] - bests[i]] if i > 0 else [])
            if not any(_close(q.x, g, q.tol + 1e-6) for g in gaps):
                self._flag(res, q.raw, quote, lineno, f"{self.who(t)} said to be {q.raw} behind",
                           f"it is {gaps[0]:.2f} pp behind the best run, {self.who(self.ranked[0])}"
                           + (f", and {gaps[1]:.2f} pp behind the next, {self.who(self.ranked[i - 1])}" if len(gaps) > 1 and i > 1 else ""))
            return
        below = _BELOW_PEAK.match(m.string[m.end():m.end() + 40])
        group = ctx.trials or ({self._last_trial} if self._last_trial and re.search(r"\bits\b", quote, re.I) else None)
        if below and group and len(group) == 1 and (q.pp or ctx.metric == "gap"):
            t = next(iter(group))  # "only 0.47 pp below its peak" that is not its drop: say what the drop is
            best, final = (float(self.fs.trials.loc[t, c]) * 100 for c in ("test_acc_best", "test_acc_final"))
            self._flag(res, q.raw, quote, lineno, f"{q.raw} given as the drop of {self.who(t)} from its peak",
                       f"it fell {best - final:.2f} pp, from {best:.2f}% (best) to {final:.2f}% (final)")
            return
        if self._pair_side_holds(q, ctx, m, quote):
            return
        if self._judged_elsewhere(q, ctx, m, quote, lineno, res):
            return
        near = " ".join(f"{k}={v}" for k, v in ctx.params.items()) if ctx.params_near else ""
        types_named = " ".join(t for t, p in TYPE_WORDS.items() if p.search(quote))
        if self._last_trial:  # "Excluding it gives about 87.75% for wn = 1.2": "it" is the trial of the sentence before
            quote = re.sub(r"\b(excluding|exclude|without|leaving out|dropping|drop|ignoring|setting aside)\s+(it|this run|that run)\b",
                           rf"\1 {self._last_trial}", quote, flags=re.I)
        left_out = " ".join(x.group(0) for x in LEFT_OUT.finditer(quote))  # "excluding t010" applies to the groups near too
        if ctx.metric == "acc" and ctx.split != "train" and any(_close(q.x, mean * 100, q.tol) for mean in self._named_means(
                quote if not ctx.params_near else f"{near} {types_named} {left_out}")) and (
                not ctx.params_near or types_named or LEFT_OUT.search(quote)):
            return  # "Summation beats Multiplication at lr = 0.03 (87.16% vs 86.48%)": the means of the groups named
        if ctx.stat == "mean" or _MEAN.search(self._cell_label):
            col = self._mean_column(ctx)
            # "without regularization the gap averages 5.62 pp, versus 1.36 pp for Summation": each number is
            # one type's mean, so with two types named either type's own mean will do
            groups = [ctx] + ([replace(ctx, types={t}) for t in sorted(ctx.types)] if len(ctx.types) > 1 else [])
            if ctx.types and not ctx.trials and re.search(r"(?:\bvs\.?|\bversus|\bagainst)\s*~?$", m.string[max(0, m.start() - 12):m.start()], re.I):
                # "Summation wins on average: 87.10% vs 84.45%": the other number is the other type's
                groups += [replace(ctx, types={t}) for t in sorted(set(self.types.values()) - ctx.types)]
            means = [self._group_mean(g, col) for g in groups] if col else []
            if any(mean is not None and self._match(Fact(name="", value=mean, metric=ctx.metric or "", split=None, stat="mean",
                                                         trial=None), q) for mean in means):
                return  # "Mean train–test gap | 1.32 pp" under "Summation": the mean over that type's trials
        self._flag(res, q.raw, quote, lineno, self._what(ctx, q.raw), self._data_says(ctx, cands, q))

    def _is_type_edge(self, q: Quoted, quote: str) -> bool:
        """"Summation's edge grows as λ decreases: 0.58 → 1.03 → 1.43 pp": the distance between the two types
        in one of their matched pairs (every other varied parameter equal), by best test accuracy."""
        if not _TYPE_EDGE.search(quote) or not any(p.search(quote) for t, p in TYPE_WORDS.items() if t != "No_Regularization"):
            return False
        if self._type_edges is None:
            by_type: dict[str, set[str]] = {}
            for t in self.ranked:
                by_type.setdefault(self.types[t], set()).add(t)
            names = sorted(by_type)
            self._type_edges = [abs(float(self.rows[x]["test_acc_best"]) - float(self.rows[y]["test_acc_best"])) * 100
                                for i, ta in enumerate(names) for tb in names[i + 1:]
                                for x, y in self.claims._matched_pairs(by_type[ta], by_type[tb])]
        return any(_close(q.x, d, q.tol + 1e-6) for d in self._type_edges)

    def _proposes(self, quote: str) -> bool:
        """Does the sentence propose something ("try lr = 0.05")? Asked for every number in it: kept."""
        hit = self._proposals.get(quote)
        if hit is None:
            hit = self._proposals[quote] = bool(PROPOSAL.search(quote))
        return hit

    def _ranked_final(self) -> list[str]:
        """The trials with results by final test accuracy, best first (ties in trial order)."""
        finals = {t: float(v) for t in self.ranked if (v := self.rows[t].get("test_acc_final")) is not None and v == v}
        return sorted(finals, key=lambda t: (-finals[t], t))

    def _check_types_apart(self, q: Quoted, types: list[str], quote: str, lineno: int, res: VerifyResult) -> None:
        """"Multiplication sits about 2.5 pp behind Summation on average": the two types' best test
        accuracies, or their means, must be that far apart (or two percentages the sentence gives)."""
        def fact(t: str, stat: str) -> Optional[float]:
            f = self.fs.facts.get(f"type.{t}.{stat}")
            return float(f.value) * 100 if f is not None and isinstance(f.value, (int, float)) else None

        pairs = [(stat, a, b) for stat in ("test_acc_best_mean", "test_acc_best")
                 if (a := fact(types[0], stat)) is not None and (b := fact(types[1], stat)) is not None]
        out = {t for x in LEFT_OUT.finditer(quote) for t in (self.reader.trials_in(x.group(0)) or ())}
        if out:  # "without t011, Multiplication averages 86.43%, only ~0.7 pp behind Summation": the means without it
            means = []
            for typ in types:
                vals = [float(self.rows[t]["test_acc_best"]) * 100 for t in self.ranked if self.types[t] == typ and t not in out]
                means.append(sum(vals) / len(vals) if vals else None)
            if None not in means:
                pairs.append(("test_acc_best_mean", means[0], means[1]))
        said = [float(n.group("num").replace(",", "")) for n in numbers(quote) if (n.group("unit") or "").strip() == "%"]
        if not pairs or any(_close(q.x, abs(a - b), q.tol + 0.01) for _, a, b in pairs) or \
                any(_close(q.x, abs(a - b), q.tol + 0.01) for i, a in enumerate(said) for b in said[i + 1:]):
            return
        self._flag(res, q.raw, quote, lineno, f"{q.raw} given as the difference between {types[0]} and {types[1]}",
                   "; ".join(f"{'mean ' if stat.endswith('_mean') else ''}best test accuracy {a:.2f}% vs {b:.2f}% "
                             f"({abs(a - b):.2f} pp apart)" for stat, a, b in pairs))

    def _pair_side_holds(self, q: Quoted, ctx: Ctx, m: re.Match[str], quote: str) -> bool:
        """"it had slipped below t003 (88.55% vs 88.82%)": the two numbers of a "vs" pair are the two
        sides' values, so each must be the value of one of the trials the sentence compares (those it
        names, and the trial "it" stands for), not necessarily of the one named nearest."""
        pair = re.match(r"\s*(?:vs\.?|versus|against)\s*~?[-−]?\d", m.string[m.end():m.end() + 14], re.I) or \
            re.search(r"\d\s*(?:%|pp)?\s*(?:vs\.?|versus|against)\s*~?$", m.string[max(0, m.start() - 16):m.start()], re.I)
        around = m.string[max(0, m.start() - 60):m.start()] + "#" + m.string[m.end():m.end() + 30]
        bracket = None if pair else _PAIR_IN_BRACKETS.search(around)
        if bracket and ctx.metric:
            # "t009 versus t002 (86.32% and 86.49%)": respectively, the first number the first trial's
            named = [f"t{int(x.group(1)):03d}" for x in TRIAL_ID.finditer(around[:bracket.group(0).index("(") + bracket.start()])]
            if len(named) < 2:
                return False
            first = re.search(r"\(\s*~?#", bracket.group(0)) is not None  # this number opens the brackets
            side = named[-2] if first else named[-1]
            own = Ctx(metric=ctx.metric, split=ctx.split, stat=ctx.stat, trials={side}, explicit_trial=True)
            return any(self._match(f, q) for f in self._candidates(own))
        if not pair or not ctx.trials or not ctx.explicit_trial:
            return False
        sides = set(self.reader.trials_in(quote) or ())
        if self._last_trial and re.search(r"\b(it|its|it's)\b", quote, re.I):
            sides.add(self._last_trial)
        if len(sides) < 2:
            return False
        loose = Ctx(metric=ctx.metric, split=ctx.split, stat=ctx.stat, trials=sides, explicit_trial=False)
        return any(self._match(f, q) for f in self._candidates(loose) if f.trial in sides)

    # -- means of a group that no fact holds, and a table's best or worst run per column ----------------------
    def _group_trials(self, ctx: Ctx) -> list[str]:
        """The trials a group statistic is over: those of the context (a column's type or parameter
        value), else those of the types named; [] when neither narrows the sweep."""
        if ctx.trials and len(ctx.trials) > 1:
            return [t for t in self.ranked if t in ctx.trials]
        if ctx.types:
            return [t for t in self.ranked if self.types[t] in ctx.types]
        return []

    def _mean_column(self, ctx: Ctx) -> Optional[str]:
        split = ctx.split or "test"
        if ctx.metric == "gap":
            return "train_test_gap_final"
        if ctx.metric == "margin":
            return "margin"
        if ctx.metric == "loss":
            return f"{split}_loss_final"
        if ctx.metric == "acc":
            final = _FINAL_WORD.search(self._cell_label) or ctx.stat == "final"
            return f"{split}_acc_final" if final else f"{split}_acc_best"
        return None

    def _group_mean(self, ctx: Ctx, col: str) -> Optional[float]:
        vals = [float(v) for t in self._group_trials(ctx) if (v := self.rows[t].get(col)) is not None and v == v]
        return sum(vals) / len(vals) if vals else None

    def _check_group_mean(self, q: Quoted, ctx: Ctx, col: str, quote: str, lineno: int, res: VerifyResult) -> None:
        group = self._group_trials(ctx)
        mean = self._group_mean(ctx, col)
        if mean is None or _close(q.x, mean, q.tol):
            return
        what = {"test_acc_best_epoch": "mean epoch of the best test accuracy"}.get(col, col)
        self._flag(res, q.raw, quote, lineno, f"{q.raw} given as the {what} of {len(group)} trials",
                   f"it is {mean:.2f} over " + ", ".join(f"{self.who(t)}: {self.rows[t][col]:g}" for t in group[:4])
                   + (", …" if len(group) > 4 else ""))

    def _check_extreme_cell(self, label: str, cell: str, head: str, col_trials: Optional[set[str]], col_types: set[str],
                            quote: str, lineno: int, res: VerifyResult) -> None:
        """"| Worst run | t002 (87.08%) | t003 (82.48%) |" under type or parameter columns: the trial
        named must be that column's best (or worst) by best test accuracy (ties: either)."""
        word = re.search(r"\b(best|top|highest|strongest|worst|lowest|weakest)\b(?:[\w\s-]{0,20})\b(run|trial|config\w*|model)\b",
                         label, re.I)
        named = self.reader.trials_in(cell)
        if not word or named is None or len(named) != 1:
            return
        group = [t for t in self.ranked if t in col_trials] if col_trials and len(col_trials) > 1 else \
            [t for t in self.ranked if self.types[t] in col_types] if col_types and not col_trials else []
        if len(group) < 2:
            return
        res.n_checked += 1
        tid = next(iter(named))
        best = self.claims.best
        high = word.group(1).lower() in ("best", "top", "highest", "strongest")
        want = (max if high else min)(best[t] for t in group)
        if tid in best and abs(best[tid] - want) <= 1e-4:
            return
        holder = next(t for t in group if abs(best[t] - want) <= 1e-4)
        self._flag(res, self.labels.get(tid, tid) if tid not in cell else tid, quote, lineno,
                   f"{self.who(tid)} called the {word.group(1).lower()} run of {head.strip()}",
                   f"by best test accuracy the {word.group(1).lower()} of its {len(group)} trials is {self.who(holder)} "
                   f"({want * 100:.2f}%)" + (f"; {self.who(tid)} has {best[tid] * 100:.2f}%" if tid in best else ""))

    # -- values that hold at some epoch, limits and ranges ---------------------------------------------
    def _judged_elsewhere(self, q: Quoted, ctx: Ctx, m: re.Match[str], quote: str, lineno: int, res: VerifyResult) -> bool:
        """Before a number is called wrong: is it a limit or a range ("above 86%", "between 5.4 and
        6.5 pp") that the values meet, or a value the curves held at some epoch? True when that
        settled it (passed, or flagged here with what the curve or the values say)."""
        # (80 characters: "after the first epoch every run sat between 54.7% and ..." pins the range to epoch 1)
        left = m.string[max(0, m.start() - 80):m.start()] if not q.span else before_range(m)[-80:]
        right = (after_range(m) if q.span else m.string[m.end():])[:50]
        epoch, by = pinned_epoch(left, right, self.fs.n_epochs, quote)
        if epoch is None and self._cell_label:
            epoch, by = pinned_epoch("", self._cell_label, self.fs.n_epochs, self._cell_label)  # "Test accuracy after epoch 1"
        group = self._group(ctx, quote, q.raw)
        if q.bound or q.span:
            verdict = limit_verdict(self, q, ctx, group, epoch, by, quote)
            if verdict is not None:
                self._flag(res, q.raw, quote, lineno, *verdict)
            return True
        verdict_c = curve_verdict(self, q, ctx, group, epoch, by, left)
        if verdict_c is None:
            return True
        if verdict_c:
            self._flag(res, q.raw, quote, lineno, *verdict_c)
            return True
        return False

    def _group(self, ctx: Ctx, quote: str, raw: str = "") -> list[str]:
        """The trials a sentence is about: those named, else those of the types named (those of
        the number's own clause when the sentence names several: "every unregularized run ...,
        while no Summation run ..."), else all (with results); only the completed ones when it
        says "completed"."""
        types = ctx.types
        if len(types) > 1 and raw:
            i = quote.find(raw)
            piece = re.split(_PIECE_CUT, quote[:i])[-1] + raw + re.split(_PIECE_CUT, quote[i + len(raw):])[0] \
                if i >= 0 else quote
            own = {t for t, p in TYPE_WORDS.items() if p.search(piece)}
            if not own and i >= 0:
                # "The unregularized runs also overfit, with gaps between 5.4 and 6.5 pp (against 1.8 pp for Summation)":
                # the type named last before the number, in its own sentence
                before = [(x.start(), t) for t, p in TYPE_WORDS.items() for x in p.finditer(quote[:i])]
                own = {max(before)[1]} if before else set()
            types = own & types or types
        if ctx.trials:
            ids = set(ctx.trials)
            if types and not ctx.explicit_trial:  # "the two Summation trials with λ = 0.001": those of that type
                ids = {t for t in ids if self.types[t] in types} or ids
        elif types:
            ids = {t for t in self.ranked if self.types[t] in types}
        else:
            ids = set(self.ranked)
        if re.search(r"\bcompleted\b", quote, re.I):
            ids = {t for t in ids if self.status[t] == "completed"}
        elif re.search(r"\b(?:apart from|except(?: for)?|excluding|other than|besides|leaving out)\s+(?:the\s+)?(?:\w+\s+)?diverged\b",
                       quote, re.I):
            ids = {t for t in ids if self.status[t] != "diverged"}  # "apart from the diverged run, no configuration ..."
        return [t for t in self.ranked if t in ids]

    def _named_means(self, quote: str) -> list[float]:
        """Mean best test accuracies of the groups a sentence names and their crossings (a type at a
        parameter value): a writer may average what no fact averages."""
        named = [(k, format_param(value_of(m.group("val"))).lower()) for m in PARAM_ANY.finditer(quote)
                 for k, val in m.groupdict().items() if val and k not in ("val", "n_epochs", "lr_min")]
        by = _BY_PARAM.search(quote)
        if by:  # "Mean best test accuracy by λ: 86.0% (0.01), 87.9% (0.001)": the values in brackets
            key = next(k for k, rx in _PARAM_NAMES if re.fullmatch(rx, by.group(1), re.I))
            named += [(key, format_param(value_of(x)).lower()) for x in re.findall(r"\(\s*([\d.]+(?:e-?\d+)?)\s*\)", quote)]
        types = [t for t, p in TYPE_WORDS.items() if p.search(quote)]
        if not named and not types:
            return []
        cols = self.reader._param_cols()
        ids = self.reader._ids
        best = {t: self.rows[t]["test_acc_best"] for t in self.ranked}
        out = {t for m in LEFT_OUT.finditer(quote) for t in (self.reader.trials_in(m.group(0)) or ())}
        params = [(k, {t for t in self.ranked if self.claims._own(t, "lambda") == want} if k == "lambda" else
                   {t for t, v in zip(ids, cols[k]) if v == want}) for k, want in named if k == "lambda" or k in cols]
        by_param = [s for _, s in params]
        by_type = [{t for t in self.ranked if self.types[t] == typ} for typ in types]
        # only the crossings: each group's own mean is a fact, checked with its own binding rules; but a group
        # with a trial left out ("Excluding t011, Multiplication averages 86.43%") is a mean no fact holds
        crossed = [a & b for a in by_param for b in by_type]
        # λ pooled over both types is a mean no fact holds ("86.0% (0.01), 87.9% (0.001)")
        crossed += [s for k, s in params if k == "lambda"]
        if out:
            crossed += [s - out for s in by_param + by_type + crossed]
        return [sum(best[t] for t in s if t in best) / n for s in crossed if (n := sum(1 for t in s if t in best))]

    def _subject(self, text: str) -> Optional[tuple[Optional[set[str]], set[str]]]:
        """The trials (by id or parameters) or experiment types a table cell names, if any."""
        ids = self.reader.trials_in(text) or self.reader.trials_from_params(text)[0]
        types = {t for t, p in TYPE_WORDS.items() if p.search(text)}
        return (ids, types) if ids or types else None

    def _names_param_value(self, q: Quoted, quote: str) -> bool:
        """A bare number that is a value of a parameter the sentence names ("learning rates ...
        0.01 > 0.03 > 0.1"): a parameter value, whatever words follow it."""
        named = {k for k, pat in (("lr", r"learning rates?|\blr\b"), ("batchsize", r"batch[ _]?sizes?|\bbs\b"),
                                  ("lambda", r"λ|lambda|penalt|regulari[sz]ation (?:weight|strength)"),
                                  ("seed", r"\bseeds?\b"), ("wn", r"\bwn\b|weight[ -]norm"))
                 if re.search(pat, quote, re.I)}
        return any(any(_is_num(v) and _close(q.x, value_of(v), q.tol) for v in self.param_values.get(k, ()))
                   for k in named)

    def who(self, tid: str) -> str:
        """A trial as a researcher reads it: its label (sum=0.001 lr=0.01), then its id."""
        label = self.labels.get(tid)
        return f"{label} ({tid})" if label and label != tid else tid

    def _superlative_cands(self, ctx: Ctx) -> list[Fact]:
        facts = self.fs.facts
        names = []
        split = ctx.split or "test"
        stats = [ctx.stat] if ctx.stat in ("best", "final") else ["best", "final"]
        if ctx.stat == "mean":
            stats = ["mean"]
        for typ in (ctx.types if len(ctx.types) == 1 else []):
            names += [f"type.{typ}.{split}_acc_{s}" for s in stats]
        for key, val in ctx.params.items():
            names.append(f"sens.{key}.{format_param(value_of(val))}.test_acc_best_max")
        if not names or len(ctx.types) != 1:
            if split == "train":
                names += [f"best_train.train_acc_{s}" for s in stats]
            else:
                names += [f"best.test_acc_{s}" for s in stats]
                if "final" in stats:
                    best_final = self.fs.trials["test_acc_final"].max()
                    names += [n for n, f in facts.items() if n.endswith(".test_acc_final") and f.value == best_final]
        if ctx.stat == "mean":
            names += [n for n in facts if n.endswith("_mean") and "acc" in n]
        return [facts[n] for n in names if n in facts]

    def _match(self, f: Fact, q: Quoted) -> bool:
        x, tol, pct, pp = q.x, q.tol, q.pct, q.pp
        v = f.value
        if not isinstance(v, (int, float)):
            return False
        if f.metric in ("acc", "gap", "change"):
            if pct or pp:
                return _close(abs(x), abs(v * 100), tol) if f.metric == "change" else _close(x, v * 100, tol)
            if abs(x) <= 1.0:
                return _close(x, v, tol) or _close(x, v * 100, tol)
            return _close(x, v * 100, tol) or (f.metric == "change" and _close(abs(x), abs(v * 100), tol))
        if f.metric == "duration":
            scale = DURATION_UNITS.get(q.unit, 1)
            return _close(x * scale, v, tol * scale) or any(_close(x * s, v, tol * s) for s in (1, 60, 3600))
        return _close(x, v, tol)

    def _is_change(self, q: Quoted, ctx: Ctx, m: re.Match[str], quote: str) -> bool:
        """"lost 0.7 pp in the last epoch", "dropped 1.1 pp from its peak": a change of the trial's own
        test accuracy (best to final, or over the last epoch)."""
        if not CHANGE_WORDS.search(m.string[max(0, m.start() - 40):m.start()]) and not _BELOW_PEAK.match(
                m.string[m.end():m.end() + 40]):
            return False  # "final 89.03% — only 0.17 pp below its peak" is a change too
        group = ctx.trials if ctx.trials else (self.reader.trials_in(quote) or self.reader.trials_from_params(quote)[0])
        if not group and self._last_trial and re.search(r"\b(?:its|it)\b", quote, re.I):
            group = {self._last_trial}  # "Winner: t001. ... — only 0.17 pp below its peak"
        for t in group or ():
            curve = [v for _, v in self.curves.curve(t, "test_acc")]
            if len(curve) >= 2 and any(_close(q.x, abs(d) * 100, q.tol + 1e-6)
                                       for d in (max(curve) - curve[-1], curve[-1] - curve[-2])):
                return True
        return False

    def _between_types(self, quote: str) -> bool:
        return bool(re.search(r"\b(?:between|of)\b[^.;]{0,40}\b(?:types|groups|penalt\w+ types)\b", quote, re.I) or (
            sum(1 for p in TYPE_WORDS.values() if p.search(quote)) >= 2 and re.search(r"\bbetween\b", quote, re.I)))

    def _check_spread(self, q: Quoted, own: str, quote: str, lineno: int, res: VerifyResult) -> bool:
        """"The top three are separated by less than 0.8 pp": the spread of the top N's best test
        accuracies; "seeds differ by about 1.3 pp": the mean spread between seeds. Other limits said
        this way ("switching wn changes accuracy by at most 0.5 pp", between pairs the words do not pin
        down) are not the train − test gap and are left alone; an exact one ("a spread of only 0.98 pp")
        goes on to the difference checks. True when settled here."""
        seeds = self.fs.facts.get("run.seed_spread_test_acc_best")
        if re.search(r"\bseeds?\b", own, re.I) and seeds is not None:
            # "a typical configuration's two seeds differ by about 0.5 pp": the mean spread between seeds
            res.n_checked += 1
            spread = float(seeds.value) * 100
            ok = spread < q.x + q.tol if q.bound == "<" else spread > q.x - q.tol if q.bound == ">" else abs(spread - q.x) <= q.tol
            if not ok:
                self._flag(res, q.raw, quote, lineno, f"seeds said to differ by {q.raw}",
                           f"the best test accuracies of runs that differ only in seed differ by {seeds.display()} on average")
            return True
        top = TOP_N.search(own)
        if top is None or count_of(top.group(1)) > len(self.ranked):
            if q.bound or q.span:
                res.n_skipped += 1
                return True
            return False
        res.n_checked += 1
        best = [float(self.rows[t]["test_acc_best"]) * 100 for t in self.ranked[:count_of(top.group(1))]]
        spread = max(best) - min(best)
        ok = spread < q.x + q.tol if q.bound == "<" else spread > q.x - q.tol if q.bound == ">" else abs(spread - q.x) <= q.tol
        if not ok:
            self._flag(res, q.raw, quote, lineno, f"the {top.group(0)} said to be {q.raw} apart" if not q.bound else
                       f"the {top.group(0)} said to be {'within' if q.bound == '<' else 'more than'} {q.raw} of each other",
                       f"their best test accuracies span {spread:.2f} pp ({max(best):.2f}% to {min(best):.2f}%)")
        return True

    def _is_difference(self, q: Quoted, quote: str) -> bool:
        """A gap quoted as the difference of two accuracies named in the same sentence."""
        vals = []
        for m in numbers(quote):
            if (m.group("unit") or "").strip() == "%":
                try:
                    vals.append(float(m.group("num").replace(",", "")))
                except ValueError:
                    pass
        trials = self.reader.trials_in(quote) or set()
        for t in trials:
            vals += [f.value * 100 for f in self.by_trial.get(t, []) if f.metric == "acc"]
        # "a difference of 1.5 pp between the two penalty types", "the gap between the groups' means": only the
        # types' (or groups') own best and mean accuracies are differenced, not any two headline facts
        if self._between_types(quote):
            return any(_close(q.x, d * 100, q.tol + 0.01) for d in self.type_differences) or \
                any(_close(abs(a - b), q.x, q.tol + 0.01) for i, a in enumerate(vals) for b in vals[i + 1:])
        # "the Summation winner edges out the Multiplication winner by 0.30 pp": two headline facts of one kind
        if any(_close(q.x, d * 100, q.tol + 0.01) for d in self.headline_differences):
            return True
        return any(_close(abs(a - b), q.x, q.tol + 0.01) for i, a in enumerate(vals) for b in vals[i + 1:])

    def _nowhere(self, q: Quoted, ctx: Ctx, m: re.Match[str], quote: str, lineno: int, res: VerifyResult) -> None:
        """A number with no recognisable context: it must still be some fact, parameter or config value,
        or a value some trial's curve held at some epoch."""
        if (q.bound or q.span) and q.pct and self._judged_elsewhere(q, ctx, m, quote, lineno, res):
            return  # "under 71%" is a limit: that some fact is about 71% says nothing
        if any(self._match(f, q) for f in self._index.near(q)):
            return
        if (q.pct or q.bound or q.span) and self._judged_elsewhere(q, ctx, m, quote, lineno, res):
            return
        if q.pct and LEFT_OUT.search(quote) and any(_close(q.x, v * 100, q.tol) for v in self._named_means(quote)):
            return  # "Excluding t011, Multiplication averages 86.43%": a mean without that trial
        if not q.pct:
            for vals in self.param_values.values():
                if any(_close(q.x, value_of(v), q.tol) for v in vals if _is_num(v)):
                    return
            if any(_close(q.x, k, q.tol) for k in self.known_numbers):
                return
        if not q.pct and self._is_type_edge(q, quote):
            return
        if q.pct and LEFT_OUT.search(quote) and (means := self._named_means(quote)):
            self._flag(res, q.raw, quote, lineno, f"{q.raw} given as a mean without "
                       f"{', '.join(sorted(self.reader.trials_in(LEFT_OUT.search(quote).group(0)) or []))}",
                       "the means the sentence names, without it: " + ", ".join(f"{v * 100:.2f}%" for v in means))
            return
        self._flag(res, q.raw, quote, lineno, f"{q.raw} appears nowhere in the recorded results",
                   "no fact, parameter or config value has this value")

    def _check_rank(self, rank: int, tid: str, raw: str, quote: str, lineno: int, res: VerifyResult) -> None:
        if tid not in self.ranked:
            self._flag(res, raw, quote, lineno, f"rank {rank} given to {tid}, which has no results", "")
            return
        actual = self.ranked.index(tid) + 1
        if actual != rank:
            who = self.ranked[rank - 1] if 0 < rank <= len(self.ranked) else None
            self._flag(res, raw, quote, lineno, f"{self.who(tid)} is placed at rank {rank}",
                       f"{self.who(tid)} ranks {actual} by best test accuracy "
                       f"({self.fs.facts[f'trial.{tid}.test_acc_best'].display()})"
                       + (f"; rank {rank} is {self.who(who)} ({self.fs.facts[f'trial.{who}.test_acc_best'].display()})"
                          if who else ""))

    def _check_top(self, tid: str, ctx: Ctx, raw: str, quote: str, lineno: int, res: VerifyResult) -> None:
        if ctx.split == "train":
            bt = self.fs.facts.get("best_train.trial_id")
            if bt is not None and bt.value != tid and ctx.stat != "mean":
                self._flag(res, raw, quote, lineno, f"{tid} is called the best on the training set",
                           f"the highest final train accuracy is {bt.value}'s ({self.fs.facts['best_train.train_acc_final'].display()})")
            return
        if len(ctx.types) == 1:
            typ = next(iter(ctx.types))
            best = self.fs.best_per_type.get(typ)
            if best is None or best == tid:
                return
            # a sentence naming the type and the trial may be about the overall best
            if self.ranked and self.ranked[0] == tid:
                return
            self._flag(res, raw, quote, lineno, f"{tid} is called the best {typ} trial",
                       f"the best {typ} trial is {best} ({self.fs.facts[f'trial.{best}.test_acc_best'].display()} best test accuracy)")
            return
        if ctx.params:
            for key, val in ctx.params.items():
                f = self.fs.facts.get(f"sens.{key}.{format_param(value_of(val))}.best_trial")
                if f is not None and f.value == tid:
                    return
        if self.ranked and self.ranked[0] != tid:
            best = self.ranked[0]
            self._flag(res, raw, quote, lineno, f"{tid} is called the best trial",
                       f"the best trial is {best} with best test accuracy {self.fs.facts[f'trial.{best}.test_acc_best'].display()}; "
                       f"{tid} ranks {self.ranked.index(tid) + 1}" if tid in self.ranked else "")

    def _what(self, ctx: Ctx, raw: str) -> str:
        parts = []
        if ctx.superlative:
            parts.append("the best")
        elif ctx.stat in ("best", "final", "mean"):
            parts.append(ctx.stat)
        if ctx.split and ctx.metric in ("acc", "loss", None):
            parts.append(ctx.split)
        parts.append({"acc": "accuracy", "eps": "epochs/s", "gap": "train − test gap"}.get(ctx.metric or "",
                                                                                          ctx.metric or "value"))
        who = ""
        if ctx.trials and ctx.explicit_trial:
            who = f" of {self.who(next(iter(ctx.trials)))}"
        elif ctx.params:
            who = " for " + " ".join(f"{k}={v}" for k, v in ctx.params.items())
        return f"{raw} given as {' '.join(parts)}{who}, which the data does not hold"

    def _data_says(self, ctx: Ctx, cands: list[Fact], q: Quoted) -> str:
        """What the data holds instead: the claimed subject's own values, then what the number really is."""
        out: list[str] = []
        if ctx.superlative and ctx.metric == "acc" and not ctx.explicit_trial and "best.test_acc_best" in self.fs.facts:
            out.append(f"the best test accuracy is {self.fs.facts['best.test_acc_best'].display()}, "
                       f"by {self.who(self.fs.top[0])}")
        else:
            own = [f for f in cands if not f.name.startswith(("rule.", "best", "top.", "type.")) and f.metric == ctx.metric]
            if ctx.trials and ctx.explicit_trial:
                own = [f for f in own if f.trial in ctx.trials]
            own.sort(key=lambda f: (f.trial is None, f.name))
            out += [x for f in own[:2] if (x := said(self, f))]
        near = [f for f in self._index.near(q) if self._match(f, q)]
        really = [f for f in near if f.name.startswith("trial.") and f.metric == ctx.metric]
        really += [f for f in near if f.name.startswith(("sens.", "type.", "run."))
                   and f.metric == ctx.metric and f not in really]
        shown = list(dict.fromkeys(x for f in really[:4] if (x := describe(self, f))))[:2]
        if shown:
            out.append(f"{q.shown} is " + " and ".join(shown))
        elif ctx.trials and ctx.explicit_trial and ctx.metric in ("acc", "loss"):
            tid = next(iter(ctx.trials))
            col = f"{ctx.split or 'test'}_{ctx.metric}"
            x = q.x / 100 if (ctx.metric == "acc" and (q.pct or q.x > 1)) else q.x
            tol = q.tol / 100 if ctx.metric == "acc" and (q.pct or q.x > 1) else q.tol
            at = [e for e, val in self.curves.curve(tid, col) if abs(val - x) <= tol + 1e-9]
            if at:
                out.append(f"{q.shown} is its {col.replace('_acc', ' accuracy').replace('_loss', ' loss')} at epoch "
                           + ", ".join(map(str, at[:3])) + ", neither its best nor its final value")
        return "; ".join(out) or "no value in the data matches"

    def _flag(self, res: VerifyResult, raw: str, quote: str, lineno: int, reason: str, data_says: str) -> None:
        if res.mismatches and res.mismatches[-1].line == lineno and res.mismatches[-1].reason == reason:
            return  # both ends of one range, judged once
        q = quote.strip()
        if len(q) > 220:
            i = q.find(raw)
            lo = max(0, i - 100)
            q = ("…" if lo else "") + q[lo:lo + 200] + "…"
        res.mismatches.append(Mismatch(number=raw, quote=q, reason=reason, data_says=data_says, line=lineno))


_PARAM_NAMES = (("lr", r"learning rates?|lr"), ("batchsize", r"batch[ _]?sizes?"), ("lambda", r"λ|lambda"),
                ("wn", r"weight[ -]norm|wn"))
# a list of a parameter's values: "learning rates of 0.01 and 0.03", "λ ∈ {0.01, 0.001}", "two values: 0.01 and 0.03"
_VALUE_LIST = re.compile(r"\b(?P<name>learning rates?|lr|batch[ _]?sizes?|λ|lambda|weight[ -]norm|wn)(?![\w=])[^.;%\d]{0,40}?"
                         r"(?:values?\s*:|values?\s+of|rates?\s+of|sizes?\s+of|\bof|∈|\bin|(?:settings?|values?|levels?|choices)\s*(?=\())"
                         r"\s*[\[{(]?\s*"
                         r"(?:\d[\d.e-]*\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|/)\s*)*$", re.I)
# "t009 versus t002 (86.32% and 86.49%)": two numbers in brackets after two sides, one for each ("#" marks the number)
_PAIR_IN_BRACKETS = re.compile(r"\b(?:vs\.?|versus|against|and|or)\s+[^()]{1,40}\(\s*(?:#|~?[\d.]+\s*(?:%|pp)?\s*(?:and|,|/|vs\.?)\s*#)"
                               r"[^()]*\)", re.I)
_BEST_EPOCH_HEAD = re.compile(r"\b(?:best|peak)\b[^|]{0,12}\bepoch\b|\bepoch\s+(?:of|at)\s+(?:the\s+)?(?:best|peak)\b", re.I)
# "Mean best test accuracy by λ: 86.0% (0.01), ...": the parameter whose values follow in brackets
_BY_PARAM = re.compile(r"\bby\s+(λ|lambda|learning rates?|lr|batch[ _]?sizes?|wn|weight[ -]norm)\b", re.I)
# "Summation's edge: 0.58 → 1.03 pp": one type's distance to another (not claims' _EDGE: a bare "gap" here would
# excuse every train − test gap that happens to equal some pair's distance)
_TYPE_EDGE = re.compile(r"\b(?:edge|lead|advantage|margin|gap between|difference|deficit|benefit)\b", re.I)
# "2.5 pp behind Summation", "Summation's lead of 1.4 pp": a number said as the distance between two sides
_TYPES_APART = re.compile(r"\b(?:behind|ahead|trail\w*|lead\b|leads|led|lag\w*|below|above|short of|edges?|edged|"
                          r"outperform\w*|beat\w*|advantage|deficit|margin)\b", re.I)
_TRAIN_GAP = re.compile(r"\btrain|overfit|generali[sz]ation gap", re.I)
_BEHIND = re.compile(r"\s*(?:pp|percentage points?)?\s*(?:behind|back|off the (?:lead|pace|top)|short of the (?:best|top|lead|leader|winner))\b",
                     re.I)
_BELOW_PEAK = re.compile(r"\s*(?:pp|percentage points?)?\s*(?:below|under|off|short of|lower than|down from|beneath)\s+"
                         r"(?:its|their|the)\s+(?:own\s+)?(?:peak|best|maximum|high)", re.I)
# "separated by less than 0.8 pp", "within 0.5 pp of each other", "changes accuracy by at most 0.5 pp": a difference
_SPREAD = re.compile(r"\b(?:separated|apart|within|spread|span(?:s|ned)?|differ(?:s|ed)?|chang(?:es|ed|ing)\b[^,;]{0,40}?\bby)\b"
                     r"[^,;]{0,25}$", re.I)
UNUSED_BEFORE = re.compile(r"\b(?:no|none of the)\s+(?:\w+\s+){0,2}?(?:runs?|trials?|configurations?|configs?|models?)\s+"
                           r"(?:used|tried|tested|had|ran with|with|at)\b|\b(?:never|not)\s+(?:used|tried|tested|included|swept)\b", re.I)
# "no completed run at λ = 0.01 or λ = 0.001 shows a gap above 2.2 pp": a claim about the runs at those values, not
# that no run used them
_SAID_OF_THEM = re.compile(r"(?:[^,;.]|\.(?=\d))*?\b(?:shows?|showed|ha[sd]|have|reach\w*|exceed\w*|scor\w*|got|gets|finish\w*|ended|ends|"
                           r"beat|did|fell|dropped|went|came|stayed|peaked|overfit\w*|(?:was|were|is|are)\s+(?!used|tried|tested|run\b|"
                           r"included|part of|swept)\w+)\b", re.I)
UNUSED_AFTER = re.compile(r"\s*(?:\)\s*)?(?:was|were|is|are)\s+(?:not|never)\s+(?:used|tried|tested|part of|included|in|among|"
                          r"swept|explored|covered)\b|\s*(?:wasn't|weren't|isn't|aren't)\s+(?:used|tried|tested|part of|included|in)\b",
                          re.I)


class _FactIndex:
    """The numeric facts sorted by every value a report may write them as (the value, ×100 for a fraction,
    its magnitude, a duration in s, min or h), so that "is this number any fact?" looks at a few
    neighbours instead of every fact: checking a 36-trial report made that question 40 ms of its 90."""

    def __init__(self, facts: list[Fact]):
        keyed: list[tuple[float, int]] = []
        self.facts = [f for f in facts if isinstance(f.value, (int, float)) and not isinstance(f.value, bool)]
        for i, f in enumerate(self.facts):
            v = float(f.value)
            for k in {v, v * 100, abs(v * 100), v / 60, v / 3600}:
                if k == k:
                    keyed.append((k, i))
        keyed.sort()
        self.keys = [k for k, _ in keyed]
        self.ids = [i for _, i in keyed]

    def near(self, q: Quoted) -> list[Fact]:
        """The facts one of whose keys lies within the number's tolerance (a superset of those _match accepts)."""
        out: set[int] = set()
        slack = q.tol * 1.0001 + 1e-6  # (a duration in min or h is keyed by v / 60 and v / 3600, so its tolerance is the same)
        for x in {q.x, abs(q.x)}:
            lo = bisect.bisect_left(self.keys, x - slack)
            hi = bisect.bisect_right(self.keys, x + slack)
            out.update(self.ids[lo:hi])
        return [self.facts[i] for i in sorted(out)]


def verify(text: str, fs: FactSheet) -> VerifyResult:
    return Verifier(fs).verify(text)


# --- helpers -----------------------------------------------------------------------------------------

def _headline_differences(fs: FactSheet, types_only: bool = False) -> list[float]:
    """Differences a report may quote without naming both sides: between the top trials' best test
    accuracies, the types' best and mean ones, and the means of the values of one parameter
    (`types_only`: the types' alone)."""
    kinds: dict[str, list[float]] = {}
    for n, f in fs.facts.items():
        if f.metric != "acc" or not isinstance(f.value, (int, float)):
            continue
        if types_only and not n.startswith("type."):
            continue
        if n.startswith("top.") and n.endswith(".test_acc_best"):
            kinds.setdefault("top", []).append(f.value)
        elif n.startswith("type.") and n.count(".") == 2 and n.endswith((".test_acc_best", ".test_acc_best_mean")):
            kinds.setdefault(n.rsplit(".", 1)[1], []).append(f.value)
        elif n.startswith("sens.") and n.endswith(".test_acc_best_mean"):
            kinds.setdefault(n.split(".")[1], []).append(f.value)
    return [abs(a - b) for vals in kinds.values() for i, a in enumerate(vals) for b in vals[i + 1:]]


def _short(f: Fact) -> str:
    if f.name.startswith("trial."):
        _, tid, fld = f.name.split(".", 2)
        return f"{fld} of {tid}"
    return f.name


def _is_num(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _close(a: float, b: Any, tol: float) -> bool:
    try:
        return abs(float(a) - float(b)) <= tol + 1e-9 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def _numbers_in(obj: Any) -> set[float]:
    out: set[float] = set()
    if isinstance(obj, dict):
        for v in obj.values():
            out |= _numbers_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            out |= _numbers_in(v)
    elif isinstance(obj, bool):
        pass
    elif isinstance(obj, (int, float)):
        out.add(float(obj))
    elif isinstance(obj, str):
        out |= {float(m.replace(",", "")) for m in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", obj)}
    return out
