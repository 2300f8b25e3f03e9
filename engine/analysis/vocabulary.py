"""The checker's vocabulary: the words and forms reports use for what a number is about.

Metric, split and statistic words, superlatives and ranks, trial and experiment-type
names, parameter names as reports write them, the shape of a number and its unit,
and the words that end a clause or mark a proposal. verify.py holds the logic that
uses them; a word a report uses that the checker misses is added here.
"""

from __future__ import annotations

import re

from sweepdeck.engine.analysis.facts import EXP_TYPES

_W = r"(?<![A-Za-z])"  # a word starts here, not inside another; after "_" it may (test_acc_best names split and metric)
SPLIT_WORDS = [
    # "test finer increments", "test whether...": the verb, not the split
    ("test", re.compile(_W + r"(test(?:ing|s|ed)?(?!\s+(?:finer|different|more|other|whether|if|a|an|new|additional|"
                        r"several|values?|increments?|lr|learning|λ|lambda|seeds?|batch|it|them|this|these|those|each|out)\b)"
                        r"|validation|val|held[- ]out)(?![A-Za-z])", re.I)),
    # "Early training:", "during training", "trained for 25 epochs": the process, not the split
    ("train", re.compile(_W + r"(trains?|training(?=\s+(?:acc\w*|loss\w*|sets?|data|split|error|score|performance|curves?|"
                         r"side|fit|numbers?|values?|results?|and\s+test)\b)|(?<=on the )training|(?<=on )training|"
                         r"fit(?:ting)? the training)(?![A-Za-z])", re.I)),
]
METRIC_WORDS = [
    ("eps", re.compile(r"epochs?\s*/\s*s(?:ec)?\b|epochs? per second|throughput", re.I)),
    ("margin", re.compile(_W + r"margins?(?![A-Za-z])", re.I)),
    ("gap", re.compile(_W + r"(gap|generali[sz]ation gap|difference|spread|percentage points?)(?![A-Za-z])", re.I)),
    ("loss", re.compile(_W + r"(loss(?:es)?|mse|cross[- ]entropy)(?![A-Za-z])", re.I)),
    ("acc", re.compile(_W + r"(acc(?:uracy|uracies)?|acc_\w+)(?![A-Za-z])", re.I)),
]
STAT_WORDS = [
    ("mean", re.compile(_W + r"(mean|average[ds]?|averaging|avg|on average|typical(?:ly)?)(?![A-Za-z])", re.I)),
    ("final", re.compile(_W + r"(final|last|ends?|ended|ending|at the end|finish(?:ed|es|ing)?|settles?)(?![A-Za-z])", re.I)),
    ("best", re.compile(_W + r"(best|peak(?:ed)?|max(?:imum)?|highest|top)(?![A-Za-z])", re.I)),
    ("min", re.compile(_W + r"(worst|lowest|min(?:imum)?|weakest|bottom)(?![A-Za-z])", re.I)),
]
WEAK_SUPERLATIVE = re.compile(r"\bthe (best|top)\b", re.I)
GLOBAL_SUPERLATIVE = re.compile(
    r"(?<!its )(?<!their )(?<!'s )(?<!’s )\b(highest|best[- ]performing|top[- ]performing|winner|winning|"
    r"won|ranked first|rank(?:ed)? #?1\b|#1\b|top[- ]1\b|overall best|best overall|strongest|tops|of the sweep|"
    r"best (?:\w+ )?(?:trial|run|result|configuration|config|model|experiment|setting|combination)|leads?|leader)\b",
    re.I,
)
PER_TRIAL_BEST = re.compile(r"\b(its|their|'s|’s)\s+(own\s+)?(best|peak|highest|maximum)\b", re.I)
RANK_WORDS = re.compile(
    r"(?:\brank(?:ed|s)?\s*#?\s*(\d+)\b|#(\d+)\b|\b(\d+)(?:st|nd|rd|th)\b(?!\s*epochs?)(?:\s+(?:place|best|overall))?|"
    r"\b(?:ranks?|ranked|placed|comes?|came|is|was|finish(?:es|ed)?|ends?)\s+(first|second|third|fourth|fifth)\b|"
    r"\b(first|second|third|fourth|fifth)(?=[- ](?:place|best|overall|ranked))|"
    r"\bin\s+(first|second|third|fourth|fifth)\s+place\b)", re.I)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
TRIAL_ID = re.compile(r"\bt(\d{3,})\b")
TRIAL_REF = re.compile(r"\b(?:trial|exp(?:eriment)?|run)\s*#?\s*(\d+)\b", re.I)
TYPE_WORDS = {t: re.compile(r"\b" + t.replace("_", r"[_ ]?") + r"\b", re.I) for t in EXP_TYPES}
TYPE_WORDS["No_Regularization"] = re.compile(r"\b(no[_ -]?regulari[sz]ation|unregulari[sz]ed|no-reg|without regulari[sz]ation)\b", re.I)

# parameter names as reports write them → the trial column
PARAM_ALIASES = [
    ("l2_sum_lambda", r"l2_sum_lambda|sum(?:mation)?[ _]?(?:lambda|λ|weight)|λ_?sum|lambda_?sum|sum"),
    ("l2_mul_lambda", r"l2_mul_lambda|mul(?:tiplication)?[ _]?(?:lambda|λ|weight)|λ_?mul|lambda_?mul|mul"),
    ("lr", r"lr|learning[ _]rates?"),
    ("batchsize", r"batch[ _]?sizes?|bs"),
    ("wn", r"wn|weight[ -]norm(?:ali[sz]ation)?(?:\s+gain)?|g0"),
    ("seed", r"seeds?"),
    ("n_epochs", r"n_epochs|epochs? budget"),
    ("lr_min", r"lr_min"),
    ("lambda", r"lambda|λ|penalty weight|regulari[sz]ation (?:weight|strength)"),
]
PARAM_TAIL = re.compile(
    r"(?<![A-Za-z_])(?:" + "|".join(f"(?P<{k}>{pat})" for k, pat in PARAM_ALIASES) + r")"
    # "learning rates tested: 0.1, ...", "batch size was 64": a few words may come between name and value
    r"(?:\s+(?:tested|used|tried|values?|were|was|are|set|fixed|held|kept|took|of|to|at|is)){0,3}"
    r"[\"']?\s*(?:=|:|≈|∈|\bof\b|\bis\b|\bin\b|\bat\b|\bto\b|→|->|from)?\s*[\[{(]?\s*[\"']?\s*$",
    re.I,
)
PARAM_ANY = re.compile(
    r"(?<![A-Za-z_])(?:" + "|".join(f"(?P<{k}>{pat})" for k, pat in PARAM_ALIASES) + r")"
    r"(?:\s*(?:=|:)|\s*\((?=\s*[\w.+-]+\s*\))|\s+of)?\s*(?P<val>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|True|False|None|default|f_out|adamw?|sgd)\b",
    re.I,
)

NUMBER = re.compile(
    r"(?P<sign>[-+−])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"(?P<unit>\s?%|\s?pp\b|\s?percentage points?\b|\s?(?:s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?)\b"
    # "about 1.4 points ahead": percentage points, where a distance follows
    r"|\s?points?\b(?=\s+(?:ahead|behind|higher|lower|better|worse|above|below|clear|short|off|apart|up|down|of\s+(?:lead|gap|"
    r"difference|improvement|separation)))"
    r"|\s?epochs?\s*/\s*s\b)?"
)
BOUNDARY = re.compile(r"[,;:)\]]|\s(?:and|but|while|whereas|vs\.?|versus|compared(?: with| to)?|than|against|"
                      r"whilst|though|although|yet|after|before)\s", re.I)
DURATION_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60, "minute": 60,
                  "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
# "lower the learning rate" proposes; "the lower rate", "a lower λ", "lower than" only compare
PROPOSAL = re.compile(r"\b(try|trying|consider|suggest|recommend|propose|extend|narrow|explore|add|next sweep|"
                      r"next run|next experiment|could|should|would|might|instead of|"
                      r"(?<!\bthe )(?<!\ba )(?<!\ban )(?<!\bits )(?<!\btheir )(?:increase|decrease|raise|lower)(?!\s+than\b))\b", re.I)
SUPERLATIVE_CUT = re.compile(r"[:;]|\b(not|but|whereas|while|although|though|unlike|compared|versus|vs\.?)\b", re.I)
RANKING_INTRO = re.compile(r"\b(top[- ]?\d*|ranking|ranked|leaderboard|best \d+)\b", re.I)
PRONOUN = re.compile(r"(it|its|it's|this (?:trial|run|configuration|one)|the (?:trial|run|same trial))\b", re.I)
TOP_N = re.compile(r"\btop[- ]?(\d|two|three|four|five)\b", re.I)
# counts written as words ("Eleven runs", "six of the 12"); COUNT_WORDS adds the words that are counts only in context
NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                           "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
COUNT_WORDS = {**NUMBER_WORDS, "none": 0, "no": 0, "both": 2}


def count_of(word: str) -> int:
    """2 for "2", "two" or "both" (a word count_of does not know raises KeyError)."""
    return int(word) if word.isdigit() else COUNT_WORDS[word.lower()]
COMPARE = re.compile(r"\b(than|vs\.?|versus|compared|while|whereas|whilst|against|unlike|but|second|runner|next|other|"
                     r"followed|beats?|over|exceeds?|above|below|outperforms?|ahead|behind|threshold|limit)\b|[<>≥≤]", re.I)
RECOMMEND_HEADING = re.compile(r"recommend|next (sweep|experiment|step|run)|suggest|future|"
                               r"\b(?:try|run|do|test)\s+next\b|\bwhat\s+next\b|\bnext\s+moves?\b|\bto\s+try\b|\bideas\b|\bfollow[- ]ups?\b",
                               re.I)

MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
DATE_AROUND = re.compile(r"^\s*" + MONTH + r"\b|\b" + MONTH + r"\.?\s*$", re.I)  # "27 November", "Nov 27"
# the words right before a number that make it approximate, or a bound rather than a value
APPROX = re.compile(r"(?:~|≈|∼|\b(?:about|around|roughly|nearly|approximately|approx\.?|almost|circa|some|close to)\s*)$", re.I)
BOUND_ABOVE = re.compile(r"(?:>|≥|>=|\b(?:above|over|exceed(?:s|ed|ing)?|more than|greater than|higher than|at least|"
                         r"beyond|pass(?:es|ed)?|cross(?:es|ed)?|surpass(?:es|ed)?|north of|"
                         r"(?:got|get|gets|went|go|goes|made it|climbed|rose|moved)\s+(?:past|above|over|beyond)|"
                         r"broke|breaks|break|cleared|clears|clear|(?:only\s+|just\s+|finally\s+)?(?:got|gets|made it)\s+to))\s*(?:the\s+)?$", re.I)
BOUND_BELOW = re.compile(r"(?:<|≤|<=|\b(?:below|under|less than|lower than|at most|up to|within|short of|no more than))\s*$",
                         re.I)
RANGE_START = re.compile(r"\b(?:between|rang(?:e|es|ed|ing)\s+(?:from|between)?|spann?(?:ing|s|ed)?(?:\s+from)?)\s*$", re.I)
UNIVERSAL = re.compile(r"\b(all|every|each|both)\b", re.I)
EXISTENTIAL = re.compile(r"\b(others?|rest|some|most|several|one|a few|many|any of)\b", re.I)
BOLD_HEADING = re.compile(r"^\*\*([^*]{2,80})\*\*:?$|^__([^_]{2,80})__:?$")
SETTLED = re.compile(r"\b(converg\w*|plateau\w*|settl\w*|stabili[sz]\w*|flatten\w*|level(?:l)?ed off|saturat\w*)\b[^.;]*$",
                     re.I)
FLAG_WORDS = [("completed", re.compile(r"\bcompleted\b", re.I)), ("overfitting", re.compile(r"\boverfit", re.I)), ("underfitting", re.compile(r"\bunderfit", re.I)),
              ("not_converged", re.compile(r"\bnot[_ ]converged", re.I)),
              ("diverged", re.compile(r"\bdiverg", re.I)), ("failed", re.compile(r"\bfailed\b", re.I))]
# (a sampled search's parameter importance, too: its fact is importance.<key>, never a parameter's value)
STATISTIC = re.compile(r"(?:\bspearman|\bpearson|ρ|\brho|\bR²|\bR\^2|\bp-value|\bcorrelation coefficient|\bimportance)"
                       r"[^.;,]{0,12}?(?:=|≈|~|of|is|at)?\s*$", re.I)
CHANGE_WORDS = re.compile(r"\b(lost|los(?:es|ing)|dropp\w*|fell|falls?|gain\w*|improv\w*|rose|rises?|slipp\w*|climb\w*|"
                          r"declin\w*|shed|added)\b[^.;]{0,25}$", re.I)
RANGED = re.compile(r"\brang(?:e|es|ed|ing)\b[^.;]*$", re.I)  # "ranged from A to B": A is the lowest, B the highest
# words that put a number on the curve rather than at its best or end: "started at", "was at", "dropped to"
CURVE_WORDS = re.compile(r"\b(start\w*|was|were|stood|sits?|sat|dropp\w*|drift\w*|slid|slipp\w*|fell|climb\w*|ris\w*|rose|"
                         r"dipp\w*|went|then|from)\b[^.;,]{0,12}$", re.I)
NEGATION = re.compile(r"\b(no|not|never|none|without|nor)\b|n't\b", re.I)
TOP_N_WORDS = re.compile(r"\btop[- ]?(?:\d|two|three|four|five|ten)\b|\b(?:ranking|ranked|leaderboard)\b", re.I)
TYPED_ITEM = re.compile(r"\W*(?:summation|multiplication|no[_ -]?regulari[sz]ation|unregulari[sz]ed|no-reg)\b\W*[:–—]", re.I)
BEST_PER_TYPE = re.compile(r"\bbest\b[^.]*\b(?:per|each|by|of every)\b[^.]*\btype|\bper[- ]type\b", re.I)
# "Excluding t011, ...", "with the failed t007 excluded": trials a sentence leaves out
LEFT_OUT = re.compile(r"\b(?:excluding|exclud(?:e|es|ed)|except(?: for)?|without|leaving out|leave out|setting aside|set aside|"
                     r"ignoring|ignore|apart from|bar|drop(?:ping)?|remov(?:e|ing))\s+"
                     r"(?:the\s+)?(?:diverged\s+|failed\s+)?(?:run\s+|trial\s+)?t\d{3}(?:\s*(?:,|and)\s*t\d{3})*|"
                     r"\bwith\s+(?:the\s+)?(?:diverged\s+|failed\s+)?(?:run\s+|trial\s+)?t\d{3}\s+(?:excluded|removed|left out|set aside|"
                     r"dropped)", re.I)
