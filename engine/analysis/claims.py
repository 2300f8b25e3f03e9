"""Claims without numbers: ranks, comparisons and trends, checked against the facts.

The worst errors in the paper's reports carry no number at all: the runner-up named
wrong, "A outperformed B" when B won, "higher margins correlate with better test
accuracy" when they do not. Each sentence is searched for three kinds of claim; who
or what it is about is read with the ContextReader (trial ids, parameters that pick
trials out, experiment types). The rules:

- **Rank** ("the runner-up is X", "X ranks second", "in second place: X", "X, second
  overall", "followed by X"; "X shows the largest gap", "X overfit most"): trials are
  ranked by best test accuracy (`FactSheet.ranked`; an equal best test accuracy is
  broken by trial order, as in the results table); the trial named must hold that
  rank. "largest/highest/smallest <metric>" names the trial with the extreme final
  value of that metric (train − test gap, margin, train accuracy, test loss); a group
  ("the unregularized runs overfit most") must contain it.
- **Comparison** ("A outperformed / beat / did better than / ranks above B", "A > B",
  "A > B > C", "X generalised better" against the rest of its parameter): a single
  trial is compared by its best test accuracy, a group (a type, a parameter value)
  by the mean best test accuracy of its trials. A tie (equal to 0.01 pp) makes "better"
  false. Parameters or a type named on one side only apply to both ("At lr = 0.03
  Multiplication beat Summation"). "at every learning rate", "for both types", "in
  every matched pair" split the trials by that parameter (a pair: all other varied
  parameters equal) and the claim must hold in every part.
- **Trend** ("higher X goes with / led to / correlates with higher Y", "a positive
  correlation between X and Y", "weaker penalties hurt"): for a parameter X, the mean
  of Y at its largest value is compared with the mean at its smallest (per experiment
  type for λ; "consistently" also needs the means in order at every value between);
  for a measured X (margin, train accuracy, gap) the Spearman rank correlation over
  the trials with results must have the claimed sign and |ρ| ≥ TREND_MIN_RHO (0.5).
  Y is the best test accuracy unless the sentence names another measure ("final train
  accuracy", "faster convergence": the epoch curves.converged_epoch gives).

A claim the words do not pin down (no resolvable trial or group, a quantifier this
does not model such as "except one") is left alone: a false alarm costs more trust
than a miss. Recommendations are not read for claims.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Optional

from sweepdeck.engine.analysis.facts import format_param
from sweepdeck.engine.analysis.reading import value_of
from sweepdeck.engine.analysis.verdicts import Judge
from sweepdeck.engine.analysis.vocabulary import COUNT_WORDS, PARAM_ANY, TRIAL_ID, TYPE_WORDS, count_of

if TYPE_CHECKING:
    from sweepdeck.engine.analysis.verify import Verifier, VerifyResult

TREND_MIN_RHO = 0.5
TIE = 1e-4  # 0.01 pp: best test accuracies equal at the precision reports show

_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}
_RANK_AFTER = re.compile(  # the ordinal comes first, the trial after it
    r"\b(?:the\s+)?(?:(runner[- ]up)|(first|second|third|fourth|fifth|[1-5](?:st|nd|rd|th))[- ](?:best|place[ds]?)"
    r"(?:\s+(?:run|trial|configuration|config|model|result))?|in\s+(first|second|third|fourth|fifth)\s+place)"
    r"\s*(?:is|was|:|,|goes to|went to)?\s*", re.I)
_RANK_BEFORE = re.compile(  # the trial comes first: "X ranks second", "X, second overall", "X comes third", "X is the runner-up"
    r"(?:\b(?:ranks?|ranked|comes?|came|finish(?:es|ed)?|is|was|places?|placed)\s+(?:in\s+)?|,\s*)"
    r"(first|second|third|fourth|fifth|[1-5](?:st|nd|rd|th)|(?<=is )the runner[- ]up|(?<=was )the runner[- ]up)\b"
    r"(?:\s+(?:overall|place|best))?", re.I)
_ACHIEVED_BY = re.compile(
    r"\b(?:highest|best|top)\s+(?!(?:final\s+)?train)(?:\w+\s+){0,3}?(?:accuracy|result|score|performance)\b"
    r"(?:[^.;]|\.(?=\d)){0,40}?"
    r"\b(?:was\s+|were\s+)?(?:achieved|reached|obtained|attained|delivered|posted|came from|belongs to)\s+(?:by\s+)?", re.I)
_TOP_NOUN = r"(?:run|trial|configuration|config|model|performer|setting|result|combination|candidate|entry|one|" \
            r"learning rate|lr|value|batch size|penalty|penalties|strength|choice|option)s?\b"
_TOP_ADJ = r"best|top|strongest|winning|leading|standout|stand-out|best[- ]performing|top[- ]performing|highest[- ]scoring|most accurate"
_LOW_ADJ = r"worst|weakest|lowest[- ]scoring|worst[- ]performing|poorest|least accurate|bottom"
_SUPER_AFTER = re.compile(  # "the best run was X", "Best configuration: X", "the overall winner is X"
    r"\b(?:the\s+)?(?:overall\s+|clear\s+|single\s+)?(?:(?P<adj>" + _TOP_ADJ + "|" + _LOW_ADJ + r")\s+"
    r"(?P<scope>(?:[\w=.λ-]+\s+){0,3}?)" + _TOP_NOUN + r"(?:\s+overall|\s+(?:of|in)\s+the\s+(?:sweep|grid|study|experiment))?"
    r"(?P<scope2>\s+(?:at|for|with|without|among|within)\s+[^,;:]{1,30}?)?"
    r"|(?<=the )(?P<adj2>best|worst|top|strongest|weakest)(?=\s*(?:was|is|:))"
    r"|(?P<win>winner|winning\s+(?:run|trial|configuration|config)))"
    r"\s*(?:was|is|:|—|–|came from|belongs to|goes to|went to)\s*", re.I)
_SUPER_BEFORE = re.compile(  # "X was the best run", "X emerged as the top performer", "X came out on top", "X finished last"
    r"\b(?:was|is|remains|remained|emerged as|emerges as|stands? out as|stood out as|came out as|proved to be|turned out to be|"
    r"ended up as|ranks as|ranked as)\s+(?:clearly\s+|easily\s+|also\s+)?(?:the\s+)?(?:clear\s+|overall\s+|outright\s+|undisputed\s+|"
    r"single\s+|very\s+)?(?P<adj>" + _TOP_ADJ + "|" + _LOW_ADJ + r")(?:\s+(?P<scope>(?:[\w=.λ-]+\s+){0,3}?)" + _TOP_NOUN
    + r"|\s+overall\b|(?=\s*(?:[,.;:(—–]|$)))"
    r"|\b(?:is|was|remains|emerged as|emerges as)\s+(?:the\s+)?(?:clear\s+|overall\s+|outright\s+|undisputed\s+)?"
    r"(?P<top2>winner|leader|standout|stand-out)\b(?!\s+(?:among|in|for|at|within)\b)"
    r"|\b(?P<top>c(?:a|o)me(?:s)? out on top|top(?:s|ped) the (?:sweep|leaderboard|table|rankings?|chart|grid)|"
    r"led the (?:sweep|pack|field|leaderboard|rankings?)|leads the (?:sweep|pack|field|leaderboard|rankings?)|"
    r"t(?:ook|akes) (?:the )?(?:top spot|first place|crown)|won the sweep)"
    r"|\b(?P<last>(?:finished|finishes|came|comes|ranked|ranks|placed|ended up|is|was)\s+(?:dead\s+)?last)\b", re.I)
_HIGHEST_ACC = re.compile(  # "X achieved the highest test accuracy"
    r"\b(?:achieved|achieves|reached|reaches|posted|posts|had|has|recorded|records|delivered|delivers|attained|got|scored|"
    r"produced|hit)\s+(?:the\s+)?(?:(?:single|overall|very)\s+)?(?P<adj>highest|best|top|lowest|worst)\s+(?P<stat>best\s+|peak\s+|final\s+)?"
    r"(?:overall\s+)?(?:test\s+)?(?:accuracy|score|result)\b", re.I)
_N_WORD = r"(\d|two|three|four|five|both)"
_TOOK_TOP = re.compile(  # "Summation took the top two spots"
    r"\b(?:took|takes|claimed|claims|occupied|occupies|swept|sweeps|holds?|held|filled|fills|took up)\s+(?:all\s+|both\s+)?(?:of\s+)?"
    r"the\s+top\s+" + _N_WORD + r"\s+(?:spots|places|positions|slots|ranks|places)\b", re.I)
_BOTTOM_ARE = re.compile(  # "The two unregularized runs are the two weakest in the sweep"
    r"\b(?:are|were)\s+(?:also\s+)?the\s+(?P<n>two|three|four|five|\d)\s+(?:weakest|worst|lowest[- ]scoring|worst[- ]performing)\b", re.I)
_TOP_ARE = re.compile(  # "the two best runs both used Multiplication", "the top three are all Summation runs"
    r"\bthe\s+(?:(?:top|best)\s+" + _N_WORD + r"|" + _N_WORD + r"\s+(?:best|top|strongest|highest[- ]scoring))\s+"
    r"(?:(?:runs|trials|configurations|configs|results|models|settings)(?:\s+overall)?\s+)?(?:all\s+|both\s+)?"
    r"(?:used|use|were|are|came from|come from|belong(?:ed)? to|share[ds]?|had|have)\s+(?:all\s+|both\s+)?", re.I)
# "t004, not t001, ends with ...", "t004 rather than t001": the trial denied is not the subject
_DENIED = re.compile(r",?\s*\b(?:not|rather than|instead of|and not)\s+(?:the\s+)?[\w=.λ -]{1,30}?(?:,|(?=\s+(?:ends?|has|had|is|was|"
                     r"shows?|showed|gets?|got|reach\w*|finish\w*|record\w*)\b))", re.I)
_BETTER_WITH = re.compile(
    r"\b(?:did|does|do|performed|performs|worked|works|scored|fared|was|were|is|are)\s+(?:\w+\s+)?(?P<dir>better|worse)\s+"
    r"(?P<a>(?:with|at|using|under)\s+[^,;]{1,50}?)\s+than\s+(?P<b>(?:with|at|using|under)\s+(?:[^,;.]|\.(?=\d)){1,40})", re.I)
_COUNT_WORD = (r"\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|none|no|all|both|every")
_BEST_WHEN = re.compile(  # "Only 4 of the 6 runs reached their best test accuracy within the last five epochs"
    r"\b(?P<n>" + _COUNT_WORD + r")\s+(?:(?P<them>of\s+(?:them|these|those))|(?:of\s+(?:the\s+)?(?:\d+|\w+)\s+)?"
    r"(?P<who>(?:[\w=.λ-]+\s+){0,3}?)(?:runs?|trials?|configurations?|configs?|models?))\s+(?:\w+\s+)?"
    r"(?:reached|hit|had|recorded|posted|achieved|set|peaked|reach|hits?|peaks?|records?)\s+(?:(?:their|its)\s+)?"
    r"(?:(?:best|peak|highest|maximum)\s+(?:(?:test\s+)?accuracy\s+|result\s+|score\s+)?)?(?:only\s+|just\s+)?"
    r"(?:(?:in|within|during|at|on)\s+(?:the\s+)?(?P<edge>last|final|first)\s+(?P<k>\d+|\w+)?\s*epochs?"
    r"|(?:after|past|beyond)\s+epoch\s+(?P<after>\d+)|(?:at|in|by)\s+(?:the\s+)?(?P<end>final|last|very last)\s+epoch"
    r"|(?:at|in|from)\s+epoch\s+(?P<from>\d+)\s+or\s+(?P<dir>later|after|earlier|before))\b", re.I)
_PAIR_COUNT = re.compile(  # "in 16 of the 18 matched configurations", "in all 18 pairings"
    r"\b(?:in|across|on)\s+(?:(?P<n>\d{1,3}|two|three|four|five|six)\s+(?:of\s+(?:the\s+)?(?P<total>\d{1,3})\s+)?|"
    r"(?P<all>all|every|each|both)\s+(?:(?P<all_n>\d{1,3})\s+)?(?:of\s+the\s+)?)"
    r"(?:matched\s+|paired\s+|head-to-head\s+)?(?:configurations|configs|pairs|pairings|comparisons|settings|cases|matchups|"
    r"match-ups|head-to-heads)\b", re.I)
_THE_BEST_RUN = re.compile(r"\bthe\s+(?:overall\s+)?(?:best|top|winning|strongest|best[- ]performing|top[- ]performing)\s+"
                           r"(?:run|trial|configuration|config|model)\b(?!\s+(?:of|in|among|for|at|with)\b)|\bthe\s+(?:overall\s+)?winner\b",
                           re.I)
_THE_WORST_RUN = re.compile(r"\bthe\s+(?:worst|weakest|worst[- ]performing)\s+(?:run|trial|configuration|config|model)\b"
                            r"(?!\s+(?:of|in|among|for|at|with)\b)", re.I)
# "Multiplication wins at every λ", "Summation is the stronger penalty": a type against the sweep's other types
_TYPE_WINS = re.compile(r"\b(?:wins|won|prevails|prevailed|comes out ahead|came out ahead|comes out on top|came out on top)\b"
                        r"(?!\s+(?:over|against|by)\b)|\b(?:is|was|looks like|seems|proved|remains)\s+(?:to be\s+)?(?:clearly\s+)?"
                        r"the\s+(?P<adj>stronger|better|superior|weaker|worse|inferior)\s+(?:penalty|regulari[sz]er|regulari[sz]ation|"
                        r"type|choice|option|method|variant)\b", re.I)
_TIED = re.compile(  # "t001 and t004 are essentially tied", "t010 is level with t008"
    r"\b(?:are|were|is|was|finished|finish|ended|end|came out|come out|sit|sat|look|looked)\s+(?:(?:all\s+|both\s+)?"
    r"(?P<hedge>essentially|virtually|basically|practically|effectively|statistically|nearly|almost|roughly|more or less|"
    r"near[- ]?ly)\s+)?(?P<word>tied|level|neck and neck|indistinguishable|identical|on par|even|dead even)\b"
    r"(?:\s+(?:with|to)\s+(?P<other>[^,;.]{1,40}))?", re.I)
_STRONG = re.compile(r"\b(?:clearly|well|comfortably|substantially|significantly|decisively|handily|easily|far|markedly|"
                     r"considerably|much|dramatically|vastly)\b", re.I)
HEDGED_TIE = 0.005  # "essentially tied": within 0.5 pp, or the mean spread between seeds where the sweep has seeds
# "none of the lr = 0.003 runs peaked before epoch 22", "every lr = 0.03 run reached its best before the final epoch"
_PEAK_WINDOW = re.compile(r"\b(?:peak(?:ed|s)?|(?:reach|hit|set|record|post)(?:ed|s)?\s+(?:its|their)\s+(?:best|peak)(?:\s+(?:test\s+)?"
                          r"accuracy)?|topped out|maxed out)\s+(?P<when>before|after|prior to|earlier than|later than|no later than|"
                          r"by|until|within the first)\s+(?:the\s+)?(?:epoch\s*#?\s*|(?=final\b|last\b|midpoint\b|middle\b))$", re.I)
_PEAK_WINDOW_ANY = re.compile(_PEAK_WINDOW.pattern[:-1] + r"(?P<at>\d+|final epoch|last epoch|midpoint|middle)\b", re.I)
_WON_OF = re.compile(  # "wn = 1.2 won 3 of the 5 completed head-to-head pairs"
    r"\b(?:won|wins|took|came out ahead in|comes out ahead in|was ahead in|is ahead in|led in|leads in)\s+"
    r"(?P<n>\d{1,3}|one|two|three|four|five|six)\s+(?:of|out of)\s+(?:the\s+|its\s+|their\s+)?(?P<total>\d{1,3})\s+"
    r"(?P<words>(?:[\w/λ-]+\s+){0,3}?)(?:pairs|pairings|matchups|match-ups|comparisons|head-to-heads?|duels)\b", re.I)
_TWIN = re.compile(r"^\s*(?:its|their|the)\s+([\w=.λ -]{1,25}?)\s+(?:twin|counterpart|sibling|partner)\b", re.I)
_GAVE_BEST = re.compile(  # "wn = 1.2 also gave the best Multiplication run"
    r"\b(?:gave|gives|produced|produces|yielded|yields|delivered|delivers|is behind|was behind|accounts? for|accounted for)\s+"
    r"the\s+(?:single\s+)?(?P<adj>best|top|strongest|highest[- ]scoring|worst|weakest|lowest[- ]scoring)\s+"
    r"(?P<scope>(?:[\w=.λ-]+\s+){0,3}?)(?:run|trial|configuration|config|model|result)\b", re.I)
# "t007 had flattened out well before the end of training", "t014 had already levelled off by the end"
_LEVELLED = re.compile(r"\b(?:plateau(?:ed|s)?|levell?ed off|flattened(?:\s+out)?|settled(?:\s+down)?|stabili[sz]ed|saturated|converged)\b"
                       r"(?:\s+\w+){0,2}?\s+(?P<when>(?:well\s+|long\s+)?before|by)\s+the\s+(?P<what>end|midpoint|middle|halfway point|"
                       r"final epoch|last epoch)\b", re.I)
WELL_BEFORE_END = 5  # "well before the end": settled at least this many epochs before the last
_START_LABEL = re.compile(r"^\W*(fastest|quickest|slowest|strongest|weakest)\s+start\s*:\s*(.+?)\W*$", re.I)
_NOT_OVERALL = re.compile(r"\b(?:not|never|n't|no)\s+(?:\w+\s+){0,2}$|\bone of\s+(?:the\s+)?$|"
                          r"\b(?:second|third|fourth|fifth|next|runner|among the)[- ]?\s*$", re.I)
_OTHER_MEASURE = re.compile(r"\b(?:train(?:ing)?\s+(?:acc\w*|loss)|gap|loss|margin|overfit\w*|stab\w+|speed|fast\w*|"
                            r"converg\w*|efficien\w*|time|epoch)", re.I)
_NEUTRAL_SCOPE = {"overall", "single", "performing", "scoring", "of", "the", "all", "in", "sweep", "grid", "model", "final",
                  "completed", "finished", "valid", "non-diverged"}
_FOLLOWED = re.compile(r"\bfollowed (?:closely )?by\b", re.I)
_EXTREME = re.compile(
    r"\b(largest|highest|biggest|greatest|smallest|lowest|most|least)\s+(?:final\s+)?"
    r"(train(?:ing)?[–-]test gap|generali[sz]ation gap|gap|margins?|train(?:ing)? accuracy|test loss)\b"
    r"|\b(overfit(?:s|ted|ting)?)\s+(?:the\s+)?(most|least)\b", re.I)
_BETTER = re.compile(r"\b(outperform(?:s|ed)?|beaten|beats|beat|did better than|does better than|performed better than|"
                     r"better than|ranks? above|ranked above|edges? out|edged(?: out)?|ahead of|superior to|exceed(?:s|ed)|"
                     r"surpass(?:es|ed)?|outscor(?:es|ed)|outpac(?:es|ed)|won (?:over|against)|stronger than|"
                     r"more accurate than|higher (?:best |final |mean |average )?(?:test )?accuracy than|"
                     r"(?:scored|performed|finished|ranked|placed|landed|came out|peaked|topped out|ended|ends)\s+(?:\w+\s+)?"
                     r"(?:higher|above)(?:\s+than)?|(?:has|have|had|holds?|held|keeps?|kept|maintains?|maintained|enjoys?|enjoyed)\s+(?:a|an|the)\s+"
                     r"(?:\w+\s+){0,3}?(?:edge|advantage|lead)\s+(?:over|on)|"
                     r"(?<!\w)>)", re.I)
_WORSE = re.compile(r"\b(underperform(?:s|ed)?|did worse than|performed worse than|worse than|ranks? below|ranked below|"
                    r"behind|trails?|trailed|inferior to|lost to|lag(?:s|ged)?(?: behind)?|f[ae]ll short of|falls short of|"
                    r"weaker than|less accurate than|lower (?:best |final |mean |average )?(?:test )?accuracy than|"
                    r"(?:scored|performed|finished|ranked|placed|landed|came out|peaked|topped out|ended|ends)\s+(?:\w+\s+)?"
                    r"(?:lower|below)(?:\s+than)?|"
                    r"(?<!\w)<)", re.I)
# "A was outperformed by B": the verb's subject is the loser
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|being|got|gets)\s+(?:\w+\s+)?$", re.I)
_ALONE_BETTER = re.compile(r"\b(?:(generali[sz]ed|performed|did|worked|was|were|is|are)\s+better\b(?!\s+than)(?:\s+choice|\s+option|"
                           r"\s+setting|\s+value)?|(?:is|was|are|were)\s+the\s+(?:better|superior)\s+(?:choice|option|setting|value)\b|"
                           r"converged\s+(?:faster|slower|earlier|later)\b|"
                           r"(?:got|gets|was|were)\s+off\s+to\s+the\s+(?:fastest|quickest|slowest|strongest|weakest|best|worst)\s+start|"
                           r"(?:gave|gives|had|has|made|makes)\s+the\s+(?:fastest|quickest|slowest|strongest|weakest|best|worst)\s+start|"
                           r"start(?:ed|s)?\s+(?:the\s+|off\s+)?(?:fastest|quickest|strongest|slowest|weakest)|"
                           r"(?:get|gets|got)\s+off\s+the\s+(?:mark|line|blocks)\s+(?:the\s+)?(?:fastest|quickest|slowest))", re.I)
_EVERY = re.compile(r"\b(?:at|for|in|across)\s+(?:every|each|all|both)\s+(?:matched\s+)?(λ|[a-zλ_ ]{2,40}?)(?:[.,;!]|$)", re.I)
# "bs = 32 gave the higher best test accuracy in 4 of the 6 (pairs)": matched pairs won, the other side unnamed
_HIGHER_IN = re.compile(r"\b(?:gave|gives|had|has|got|reached|posted|produced|achieved)\s+the\s+(?P<dir>higher|better|lower|worse)\s+"
                        r"(?:best\s+|final\s+)?(?:test\s+)?(?:accuracy|result|score)\s+in\s+(?P<n>\d+|" + "|".join(COUNT_WORDS) + r")\s+"
                        r"(?:out\s+)?of\s+(?:the\s+)?(?P<total>\d+|" + "|".join(COUNT_WORDS) + r")\b", re.I)
_ORDER_WORDS = re.compile(r"\b(?:order|ordering|ranking)\b[^:]{0,20}:\s*((?:[^,;]+?,?\s+then\s+)+[^,;.]+(?:\.\d+)?)", re.I)
_SUM_LAMBDA = re.compile(r"l2_sum_lambda|\bsum(?:mation)?[ _](?:λ|lambda)|λ_?sum\b", re.I)
_MUL_LAMBDA = re.compile(r"l2_mul_lambda|\bmul(?:tiplication)?[ _](?:λ|lambda)|λ_?mul\b", re.I)
_EXCEPT = re.compile(r"\b(except|apart from|other than|but one|save for)\b", re.I)
_TREND = re.compile(
    r"\b(higher|larger|bigger|stronger|greater|more|lower|smaller|weaker|less)\s+(?P<x>[\w λ_–-]{1,40}?)\s+"
    r"(?:\([^)]{0,20}\)\s+)?(?:consistently\s+|clearly\s+|generally\s+|always\s+)?"
    r"(?P<verb>go(?:es)? with|went with|go(?:es)? hand in hand with|went hand in hand with|move(?:s|d)? together with|"
    r"track(?:s|ed)?|coincide(?:s|d)? with|line(?:s|d)? up with|(?:is|are|was|were) linked (?:to|with)|accompan(?:y|ies|ied)|"
    r"led to|leads? to|lead to|gave|gives|correlates? with|correlated with|"
    r"tend(?:s|ed)? to (?:reach|have|show|get|achieve|score|be|give|go with)|"
    r"(?:is|are|was|were) associated with|means?|meant|brings?|brought|yields?|yielded|hurts?|hurt|helps?|helped|"
    r"improved?|improves|worsened|worsens|(?:were|was|is|are) better|(?:were|was|is|are) worse|"
    r"reduced|reduces|reduce|lowered|lowers|narrowed|narrows|shrank|shrinks|cut|cuts|decreased|decreases|"
    r"increased|increases|raised|raises|widened|widens|boosted|boosts|"
    # "smaller λ generalised better", "Smaller λ = better generalization": a verb that says nothing without its better/worse
    r"(?:generali[sz]\w*|perform\w*|did|does|do|work(?:s|ed)?|fared|=)(?=\s*(?:better|worse)\b)|"
    # "runs with larger margins generally reached higher test accuracy"
    r"(?:reach(?:ed|es)?|got|gets|scor(?:ed|es)|achiev(?:ed|es)|posted|show(?:ed|s)?|ended with|end with)(?=\s+(?:a\s+|the\s+)?(?:higher|lower|better|worse)\b))"
    r"\s*(?:a\s+|an\s+|the\s+)?(?P<dir2>higher|lower|better|worse|faster|slower|more|less|larger|smaller|wider|narrower)?"
    r"\s*(?P<y>[\w λ_–−-]{0,40})", re.I)
_CORR = re.compile(r"\b(?:a|an)?\s*(?:clear|strong|weak|consistent)?\s*(positive|negative)\s+(?:correlation|relationship|"
                   r"association)\s+between\s+(?P<x>[\w λ_-]{2,40}?)\s+and\s+(?P<y>[\w λ_-]{2,40})", re.I)
_NO_CORR = re.compile(r"\b(?:no|little|hardly any|not (?:a|any|much))\s+(?:clear\s+|real\s+|meaningful\s+|consistent\s+|strong\s+|"
                      r"obvious\s+|systematic\s+)?(?:correlation|relationship|association|link)\s+between\s+(?:a\s+run's\s+|the\s+)?"
                      r"(?P<x>[\w λ_-]{2,40}?)\s+and\s+(?:a\s+run's\s+|its\s+|the\s+)?(?P<y>[\w λ_-]{2,40})", re.I)
_LITTLE_REL = re.compile(r"(?P<x>[\w λ_-]{2,40}?)\s+(?:shows?|showed|has|had|bears?|bore)\s+(?:little|no|hardly any)\s+(?:clear\s+|real\s+)?"
                         r"(?:relationship|relation|correlation|association|link)\s+(?:with|to)\s+(?:the\s+|its\s+)?(?P<y>[\w λ_-]{2,40})",
                         re.I)
_UP = {"higher", "wider", "larger", "bigger", "stronger", "greater", "more", "better", "faster", "positive"}
_X_WORDS = [("lr", r"learning rates?|\blr\b"), ("batchsize", r"batch[ _]?sizes?|batch(?:es)?\b"),
            ("lambda", r"λ|lambda|penalt\w*|regulari[sz]ation|weight decay"), ("margin", r"margins?"),
            ("wn", r"weight[- ]norm\w*|\bwn\b|\bgain\b"),
            ("train_acc_final", r"train(?:ing)? accurac\w*"), ("train_test_gap_final", r"\bgaps?\b"),
            ("test_loss_final", r"(?:test\s+)?loss(?:es)?\b")]


_PARAM_X = ("lr", "batchsize", "lambda", "wn")

_Y_MOVES = (r"rises?|rose|grows?|grew|increases?|increased|improves?|improved|climbs?|climbed|widens?|widened|"
            r"shrinks?|shrank|falls?|fell|drops?|dropped|decreases?|decreased|declines?|declined|worsens?|worsened|"
            r"narrows?|narrowed|(?:gets?|got|became|become|becomes)\s+(?:(?:steadily|consistently|gradually|monotonically)\s+)?(?:better|worse)")
_X_MOVES = (r"increases|increased|rises|rose|grows|grew|goes up|went up|is raised|was raised|drops|dropped|decreases|"
            r"decreased|falls|fell|shrinks|shrank|goes down|went down|is lowered|was lowered|"
            r"gets? (?:larger|smaller|stronger|weaker|bigger)")
_AS_TREND = re.compile(  # "the gap shrinks monotonically as λ increases"
    r"(?P<y>\b[\w λ'’–−-]{1,40}?)\s+(?P<yv>" + _Y_MOVES + r")\s+(?:(?:steadily|monotonically|consistently|gradually|"
    r"slightly|sharply|clearly)\s+)?as\s+(?:the\s+)?(?P<x>[\w λ_-]{1,30}?)\s+(?P<xv>" + _X_MOVES + r")\b", re.I)
_THE_THE = re.compile(  # "the weaker the penalty, the better Multiplication does": a monotone relation
    r"\bthe\s+(?P<xv>higher|larger|bigger|stronger|greater|more|lower|smaller|weaker|less)\s+(?:the\s+)?(?P<x>[\w λ_-]{1,30}?)"
    r"\s*,\s*the\s+(?P<yv>higher|larger|bigger|greater|more|lower|smaller|less|better|worse|faster|slower)\s+(?P<y>[\w λ_–-]{0,40})",
    re.I)
_DOWN_VERB = r"\b(?:reduc|lower|narrow|shr[ai]nk|cut|decreas)\w*"
_X_GERUND = re.compile(  # "Decreasing λ improved test accuracy", "raising the learning rate widened the gap"
    r"\b(?P<xv>increasing|decreasing|raising|lowering|reducing|strengthening|weakening|growing|shrinking|boosting|dropping)\s+"
    r"(?:the\s+)?(?P<x>[\w λ_-]{1,30}?)\s+(?:\([^)]{0,20}\)\s+)?(?:(?:consistently|clearly|generally|always|slightly|further|also)\s+)?"
    r"(?P<yv>improved|improves|hurt|hurts|helped|helps|reduced|reduces|increased|increases|raised|raises|lowered|lowers|"
    r"widened|widens|narrowed|narrows|boosted|boosts|cut|cuts|shrank|shrinks|worsened|worsens|decreased|decreases)\s+"
    r"(?P<y>[\w λ_–−-]{0,40})", re.I)
_AS_LEAD = re.compile(  # "As λ increases, the gap shrinks"
    r"\bas\s+(?:the\s+)?(?P<x>[\w λ_-]{1,30}?)\s+(?P<xv>" + _X_MOVES + r")\s*,\s*(?:the\s+)?(?P<y>[\w λ'’–−-]{1,40}?)\s+"
    r"(?:(?:steadily|monotonically|consistently|gradually|slightly|sharply|clearly|also)\s+)?(?P<yv>" + _Y_MOVES + r")\b", re.I)
_SPEED_CMP = re.compile(  # "t001 converged faster than t000", "the lr = 0.03 runs peak later than the lr = 0.01 runs"
    r"\b(?P<verb>converg\w*|plateau\w*|settl\w*|stabili[sz]\w*|peak(?:s|ed)?|topp?(?:ed)? out)\s+(?P<dir>faster|earlier|sooner|quicker|"
    r"more quickly|slower|later|more slowly)\s+than\b|"
    r"\b(?P<verb2>converg\w*|plateau\w*|settl\w*|stabili[sz]\w*|peak(?:s|ed)?|topp?(?:ed)? out|levell?ed off)\s+(?P<dir2>before|after)\b"
    r"(?=\s+(?:[^.;,]|\.(?=\d)){1,40}?\b(?:did|does|do|had|has)\b)", re.I)  # "t001 plateaued before t000 did"
_VARIED_GATE = re.compile(r"\b(?:differ|differed|varied|vary|varies|swept|crossed|fixed|constant|the same)\b", re.I)
# a word every trend pattern needs: a comparative, a "correlation", an "as", a gerund of change or "the ...er"
_TREND_GATE = re.compile(r"\b(?:higher|lower|larger|smaller|bigger|stronger|weaker|greater|more|less|positive|negative|"
                         r"correlat\w*|relationship|association|link|as|increasing|decreasing|raising|lowering|reducing|"
                         r"strengthening|weakening|growing|shrinking|boosting|dropping)\b", re.I)
_REGULARIZED = re.compile(r"(?<![\w-])regulari[sz]ed\b", re.I)
_EXTREME_VALUE = re.compile(r"\bthe\s+(lower|higher|smaller|larger|lowest|highest|smallest|largest)\s+"
                            r"(learning rates?|lr|batch[ _]?sizes?|batch|gain|wn|weight[- ]norm\w*)\b", re.I)
_LOW = {"lower", "smaller", "lowest", "smallest"}
_EDGE = re.compile(r"\b(edge|advantage|lead|gap|difference|benefit)\b", re.I)
_EDGE_AT = re.compile(r"\b(largest|widest|biggest|greatest|smallest|narrowest)\s+(?:\w+\s+){0,2}?(?:at|for|with)\s+", re.I)
_STILL = re.compile(r"\bstill\s+(climbing|improving|rising|increasing|going up|learning)\b", re.I)
_VARIED = re.compile(r"\b(?:differed|differ|varied|vary|varies|swept|crossed)\s+(?:in|over|across|by)?\s*(?:their\s+|the\s+)?"
                     r"(?P<what>[\w λ-]{2,30})", re.I)
_FIXED = re.compile(r"(?P<what>[\w λ-]{2,30}?)\s+(?:was|were)\s+(?:held|kept)?\s*(?:fixed|constant|the same)\b", re.I)
_MEASURE_CMP = re.compile(
    r"\b(?:have|has|had|show|shows|showed|end with|ended with|ends with|kept|keeps|posted|recorded|produced|achieved|reached)\s+"
    r"(?P<q>(?:uniformly|consistently|always|all|generally)\s+)?(?:(?P<art>a|an|the)\s+)?"
    r"(?:(?:slightly|much|far|noticeably|significantly|markedly|considerably|somewhat|clearly)\s+)?"
    r"(?P<dir>smaller|larger|higher|lower|bigger|wider|narrower)\s+(?:final\s+)?(?P<what>margins?|"
    r"(?:train(?:ing)?[–-]test\s+|generali[sz]ation\s+)?gaps?|train(?:ing)? accurac\w*|test loss(?:es)?|loss(?:es)?)"
    # "than B", or "the smaller gap at every λ": of the two sides, the other one unnamed
    r"(?:\s+than\b|(?=\s+(?:at|for|in|across)\s+(?:every|each|all|both)\b))",
    re.I)


def _infinitive(phrase: str) -> str:
    """"got off to the fastest start" → "have got off to ...", "was the slowest" → "be the slowest"."""
    head, _, rest = phrase.partition(" ")
    verb = {"got": "have got", "gets": "get", "was": "be", "were": "be", "starts": "start", "started": "have started",
            "gave": "have given", "gives": "give", "had": "have had", "has": "have", "made": "have made", "makes": "make"
            }.get(head.lower(), head)
    return f"{verb} {rest}".strip()


def _is_up(word: str) -> bool:
    return bool(re.search(r"ris|rose|grow|grew|increas|improv|climb|widen|better|goes up|went up|raised|larger|stronger|"
                          r"bigger|higher|greater|more|faster", word, re.I))


def _num(v: object) -> Optional[float]:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if x != x else x


def _ordinal(word: str) -> int:
    return 2 if "runner" in word.lower() else _ORD[word.lower()]


class ClaimChecker:
    """Finds and checks the claims without numbers in one sentence (see the module's rules)."""

    def __init__(self, v: "Verifier"):
        self.v = v
        self.fs = v.fs
        self.rows = {tid: v.rows[tid] for tid in v.ranked}
        self.best = {tid: float(r["test_acc_best"]) for tid, r in self.rows.items()}
        self.final = {tid: float(x) for tid, r in self.rows.items() if (x := _num(r["test_acc_final"])) is not None}
        self.shown = {tid: {k: format_param(val).lower() for k, val in r.items()} for tid, r in self.rows.items()}
        self.previous = ""  # the sentence before, in the same paragraph: what "them" may stand for
        self.section = ""  # the heading (or bold lead line) the sentence is under

    # -- who a piece of text is about ----------------------------------------------------------------
    def resolve(self, text: str, shared: Optional[dict[str, str]] = None,
                shared_types: Optional[set[str]] = None) -> Optional[tuple[set[str], dict[str, str], set[str]]]:
        """(trials, parameters named, types named) for `text`, with `shared` parameters and types
        added where the text names none of that key; None when it names nothing."""
        ids = {f"t{int(m.group(1)):03d}" for m in TRIAL_ID.finditer(text)} & set(self.v.ranked)
        if not ids and self.v.ranked:
            # "the best run also has the lowest test loss": the trial ranked first (or last)
            if _THE_BEST_RUN.search(text) and not PARAM_ANY.search(text):
                ids = {self.v.ranked[0]}
            elif _THE_WORST_RUN.search(text) and not PARAM_ANY.search(text):
                ids = {self.v.ranked[-1]}
        params: dict[str, str] = {}
        for m in PARAM_ANY.finditer(text):
            key = next(k for k, val in m.groupdict().items() if val and k != "val")
            if key not in ("n_epochs", "lr_min"):
                params[key] = m.group("val")
        types = {t for t, p in TYPE_WORDS.items() if p.search(text)}
        if not types and _REGULARIZED.search(text):
            # "the regularized runs": every type but the unregularized baseline
            types = {str(r["exp_type"]) for r in self.rows.values()} - {"No_Regularization"}
        if not params:
            extreme = _EXTREME_VALUE.search(text)  # "the lower learning rate": the smallest value swept
            key = next((k for k, rx in _X_WORDS[:2] + _X_WORDS[4:5] if extreme and re.search(rx, extreme.group(2), re.I)), None)
            if key and key in self.fs.varied:
                vals = sorted({float(r[key]) for r in self.rows.values() if _num(r[key]) is not None})
                if len(vals) >= 2:
                    params[key] = format_param(vals[0] if extreme.group(1).lower() in _LOW else vals[-1])
        if ids:
            return ids, params, types
        lam = {"lambda", "l2_sum_lambda", "l2_mul_lambda"}
        for k, val in (shared or {}).items():
            if k not in params and not (k in lam and lam & params.keys()):
                params[k] = val  # named on the other side only: it applies to both ("at lr = 0.03, A beat B")
        if not types and shared_types:
            types = set(shared_types)
        if not params and not types:
            return None
        return self._select(params, types), params, types

    def _select(self, params: dict[str, str], types: set[str]) -> set[str]:
        out = set()
        wants = {key: format_param(value_of(val)).lower() for key, val in params.items()}
        for tid, r in self.rows.items():
            if types and r["exp_type"] not in types:
                continue
            ok = True
            shown = self.shown[tid]
            for key, want in wants.items():
                if key == "lambda":
                    ok &= want in (shown["l2_sum_lambda"], shown["l2_mul_lambda"])
                elif key in shown:
                    ok &= shown[key] == want
            if ok:
                out.add(tid)
        return out

    # -- entry point ------------------------------------------------------------------------------------
    def check(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        if _EXCEPT.search(sent):
            return
        before = res.n_checked
        self._rank(sent, lineno, res)
        if res.n_checked == before:
            self._superlative(sent, lineno, res)
        for fn in (self._higher_in_pairs, self._bottom_group, self._levelled, self._gave_best, self._peak_window, self._tie, self._count_best_epoch,
                   self._top_group, self._extreme, self._compare, self._compare_measure, self._compare_speed, self._trend, self._edge_at,
                   self._still_climbing, self._varied):
            fn(sent, lineno, res)

    def flag(self, res: "VerifyResult", phrase: str, sent: str, lineno: int, reason: str, says: str) -> None:
        self.v._flag(res, phrase, sent, lineno, reason, says)

    # -- ranks ---------------------------------------------------------------------------------------------
    def _rank(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        claims: list[tuple[int, str, str]] = []  # (rank, text naming the trial, phrase)
        for m in _RANK_AFTER.finditer(sent):
            rank = 2 if m.group(1) else _ordinal(m.group(2) or m.group(3))
            tail = re.split(r",\s*followed|;|\.\s|\bwhile\b|\bwhereas\b", sent[m.end():])[0]
            if not re.search(r"(?:is|was|:|,|to)\s*$", m.group(0)) and re.match(
                    r"\s*(?:summation|multiplication|no[_ -]?regulari[sz]ation|unregulari[sz]ed)\b", tail, re.I):
                continue  # "the second-best Summation run is ...": a rank within a type (not checked)
            if m.group(3) and self.resolve(tail) is None:
                # "t027 comes in right behind them in third place": the subject is before
                tail = re.split(r"[;:]|\.\s|\bwhile\b|\bwhereas\b", sent[:m.start()])[-1]
            claims.append((rank, tail, m.group(0).strip()))
        label = re.match(r"\W*(winner|top performer|best overall|runner[- ]up|first|second|third|fourth|fifth)\W*:\s*", sent, re.I)
        if label and not _RANK_AFTER.match(sent):
            word = label.group(1).lower()
            rank = 1 if word in ("winner", "top performer", "best overall") else 2 if "runner" in word else _ordinal(word)
            claims.append((rank, re.split(r";|\.(?:\s|$)", sent[label.end():])[0], label.group(0).strip()))
        if re.search(r"\b(ranking|ranked|top[- ]?\d|leaderboard)\b", sent, re.I):
            for m in re.finditer(r"(?:^|[:,;]\s*)([1-9])\.\s+([^,;()]+)", sent):
                claims.append((int(m.group(1)), m.group(2), f"{m.group(1)}."))
        for m in _ACHIEVED_BY.finditer(sent):
            claims.append((1, re.split(r";|\.(?:\s|$)", sent[m.end():])[0], m.group(0).strip()))
        for m in _RANK_BEFORE.finditer(sent):
            head = re.split(r";|\.(?:\s|$)|\bwhile\b|\bwhereas\b", sent[:m.start()])[-1]
            claims.append((_ordinal(m.group(1)), head, m.group(0).strip(" ,")))
        if claims and _FOLLOWED.search(sent):
            f = _FOLLOWED.search(sent)
            claims.append((claims[0][0] + 1, re.split(r";|\.(?:\s|$)", sent[f.end():])[0], f.group(0)))
        for rank, text, phrase in claims:
            who = self.resolve(text)
            if who is None or len(who[0]) != 1 or rank > len(self.v.ranked):
                continue
            res.n_checked += 1
            tid = next(iter(who[0]))
            actual = self.v.ranked.index(tid) + 1
            if actual != rank:
                holder = self.v.ranked[rank - 1]
                self.flag(res, phrase, sent, lineno, f"{self.v.who(tid)} is placed at rank {rank}",
                          f"by best test accuracy it ranks {actual} ({self._pct(tid)}); rank {rank} is "
                          f"{self.v.who(holder)} ({self._pct(holder)})")

    def _superlative(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"t004 was the best run", "the winner is t004", "Best run: t004", "t003 finished last", "t004
        achieved the highest test accuracy": the trial named must rank first (or last) by best test
        accuracy, or by final test accuracy where the words say final; ties at 0.01 pp count as either.
        Words between the superlative and its noun, or a leading "At lr = 0.1," or a trailing
        "among the Summation runs", narrow the ranking to that group; words that name another measure
        ("the best-generalising run", "the fastest") leave the sentence to other rules."""
        claims: list[tuple[re.Match[str], str, str]] = []  # (match, text naming the trial, scope text)
        for m in _SUPER_AFTER.finditer(sent):
            tail = re.split(r",|;|\.\s|\bwhile\b|\bwhereas\b|\bbut\b|\bahead of\b|\bfollowed\b|\bbeating\b|\bover\b",
                            sent[m.end():])[0]
            claims.append((m, tail, (m.group("scope") or "") + (m.group("scope2") or "")))
        for m in list(_SUPER_BEFORE.finditer(sent)) + list(_HIGHEST_ACC.finditer(sent)):
            head = re.split(r"[:;]|\.\s|\bwhile\b|\bwhereas\b|\bbut\b|\band\b|,\s*(?:and|while|but)\b", sent[:m.start()])[-1]
            claims.append((m, head, m.groupdict().get("scope") or ""))
        for m, who_text, scope_text in claims:
            adj = m.groupdict().get("adj") or m.groupdict().get("adj2") or ""
            if _NOT_OVERALL.search(sent[:m.start()]) or (adj and _NOT_OVERALL.search(sent[:m.start("adj" if m.groupdict().get(
                    "adj") else "adj2")])):
                continue
            after = re.split(r"[,;]|\.\s", sent[m.end():])[0]
            if _OTHER_MEASURE.search(m.group(0)) or _OTHER_MEASURE.search(scope_text) or re.match(
                    r"\s*(?:in terms of|by|for|on)\s+(?!final\b)(?:\w+\s+){0,2}?(?:train|gap|loss|margin|speed|stabil|converg)",
                    after, re.I):
                continue
            low = bool(m.groupdict().get("last")) or bool(re.match(_LOW_ADJ + "|lowest", adj, re.I))
            final = bool(re.search(r"\bfinal\b", m.group(0), re.I) or re.match(r"\s*(?:by|in|on)\s+final\b", after, re.I))
            every = re.match(r"\s*(?:at|for|across|in|with)\s+(?:both|every|each|all)\s+(?:(?:of\s+)?the\s+)?([a-zλ_ ]{2,30})",
                             after, re.I)
            scope, scope_who = self._scope(sent[:m.start()], scope_text, after if not every else "") or (None, None)
            heading_types = {t for t, p in TYPE_WORDS.items() if p.search(self.section)}
            if scope is not None and len(scope) == len(self.v.ranked) and len(heading_types) == 1 and not re.search(
                    r"\boverall\b|\bsweep\b", m.group(0), re.I):
                # "**Top result:** t009" under "2.2 No Regularization": the best of that section's type
                scope = {t for t in self.v.ranked if self.rows[t]["exp_type"] in heading_types}
                scope_who = (scope, {}, heading_types)
            parts = self._parts(every.group(1)) if every else [set(self.v.ranked)]
            if scope is None or parts is None:
                continue
            who = self.resolve(who_text)
            col = "test_acc_final" if final else "test_acc_best"
            measure = "final test accuracy" if final else "best test accuracy"
            if who is not None and len(who[1]) == 1 and not who[2] and not TRIAL_ID.search(who_text) and re.search(
                    r"setting|value|learning rate|\blr\b|λ|lambda|penalt|strength|batch|choice|option", m.group(0), re.I):
                self._value_extreme(m, sent, lineno, res, who, parts if every else [set(self.v.ranked)], scope, low, col,
                                    every.group(1) if every else None)
                continue
            if who is None or not who[0] or (len(who[0]) != 1 and not every):
                continue
            judged = False
            completed = bool(re.search(r"\b(?:completed|finished)\b", m.group(0), re.I))  # "Worst completed run: t011"
            for part in parts:
                mine = who[0] & part
                pool = [t for t in self.v.ranked if t in scope and t in part
                        and (not completed or self.rows[t]["status"] == "completed")]
                vals = {t: x for t in pool if (x := _num(self.rows[t][col])) is not None}
                if len(mine) != 1 or not mine <= vals.keys() or len(vals) < 2:
                    continue
                tid = next(iter(mine))
                judged = True
                edge = (min if low else max)(vals.values())
                if abs(vals[tid] - edge) <= TIE:
                    continue
                holder = (min if low else max)(vals, key=lambda t: vals[t])
                group = (self._part_name(part, every.group(1)) + " trials" if every else
                         "the completed trials" if completed and scope == set(self.v.ranked) else self._group_name(scope_who))
                among = "" if len(pool) == len(self.v.ranked) else f" among {group}"
                res.n_checked += 1
                self.flag(res, m.group(0).strip(" :,"), sent, lineno,
                          f"{self.v.who(tid)} is called the {'lowest' if low else 'highest'} by {measure}{among}",
                          f"its {measure} is {vals[tid] * 100:.2f}%; the {'lowest' if low else 'highest'}{among} is "
                          f"{self.v.who(holder)} ({vals[holder] * 100:.2f}%)")
                break
            else:
                if judged:
                    res.n_checked += 1

    def _count_best_epoch(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"Only 4 of the 6 runs reached their best within the last five epochs", "three of them peaked at
        the final epoch": how many of the trials meant (those the words name, else every completed one)
        had their best test accuracy in that window of their own epochs."""
        m = _BEST_WHEN.search(sent)
        if not m or re.search(r"\b(?:not|never)\b", m.group(0), re.I):
            return
        word = m.group("n").lower()
        if word in ("all", "every", "both"):
            return  # said of each trial: the epoch rules read these
        n = int(word) if word.isdigit() else COUNT_WORDS.get(word)
        who = self.resolve(m.group("who")) if (m.group("who") or "").strip() else None
        if who is None and re.match(r"\W*(?:at|with|for|among|under)\b", sent[:m.start()], re.I):
            who = self.resolve(sent[:m.start()])  # "At lr = 0.003, four of the six runs ...": the lead names the group
        if m.group("them"):  # "The lr = 0.003 runs had not converged — three of them ...": the group named before
            who = self.resolve(sent[:m.start()]) if sent[:m.start()].strip() else self.resolve(self.previous)
            if who is None or not who[0]:
                return
        pool = [t for t in self.v.ranked if self.rows[t]["status"] == "completed" and (who is None or t in who[0])]
        whole = re.search(r"\bof\s+(?:the\s+)?(\d+|\w+)\s", m.group(0))
        size = (int(whole.group(1)) if whole.group(1).isdigit() else COUNT_WORDS.get(whole.group(1).lower())) if whole else None
        if n is None or not pool or (size is not None and size != len(pool) and not any(
                self.rows[t]["status"] != "completed" for t in self.v.ranked if who is None or t in who[0])):
            return  # "four of the six runs" when the trials meant are not six: which six is not said
        k = m.group("k")
        k_n = 1 if k is None else int(k) if k.isdigit() else COUNT_WORDS.get(k.lower(), 1)
        if k_n is None:
            return
        inside = []
        for t in pool:
            c = self.v.curves.curve(t, "test_acc")
            if not c:
                continue
            best_e, last = max(c, key=lambda ev: ev[1])[0], c[-1][0]
            if m.group("from"):  # "at epoch 22 or later"
                hit = best_e >= int(m.group("from")) if m.group("dir").lower() in ("later", "after") else best_e <= int(m.group("from"))
            elif m.group("after"):
                hit = best_e > int(m.group("after"))
            elif m.group("end"):
                hit = best_e == last
            elif m.group("edge").lower() == "first":
                hit = best_e <= k_n
            else:
                hit = best_e > last - k_n
            if hit:
                inside.append(t)
        res.n_checked += 1
        if len(inside) != n:
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"{n} of the {len(pool)} trials said to have their best test accuracy there",
                      f"{len(inside)} did" + (": " + ", ".join(
                          f"{self.v.who(t)} (epoch {int(self.rows[t]['test_acc_best_epoch'])})" for t in inside[:5]) if inside else ""))

    def _bottom_group(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"The two unregularized runs are the two weakest in the sweep": the group named is the bottom N by best
        test accuracy (ties at the edge count either way)."""
        m = _BOTTOM_ARE.search(sent)
        if not m or re.search(r"\b(?:not|never)\b", sent[max(0, m.start() - 12):m.end()], re.I):
            return
        who = self.resolve(re.split(r"[:;,]|\.\s", sent[:m.start()])[-1])
        n = count_of(m.group("n"))
        if who is None or len(who[0]) != n or n >= len(self.v.ranked):
            return
        res.n_checked += 1
        edge = self.best[self.v.ranked[-n]]
        if not all(self.best[t] <= edge + TIE for t in who[0]):
            bottom = self.v.ranked[-n:]
            self.flag(res, m.group(0).strip(), sent, lineno, f"{self._group_name(who)} called the {n} weakest",
                      f"the {n} weakest by best test accuracy are " + ", ".join(f"{self.v.who(t)} ({self._pct(t)})" for t in bottom))

    def _top_group(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"Summation took the top two spots", "the three best runs all used λ = 0.001": every one of the
        top N trials by best test accuracy must belong to the group named."""
        m = _TOOK_TOP.search(sent)
        text = re.split(r"[:;]|\.\s|\bwhile\b|\bwhereas\b|\bbut\b", sent[:m.start()])[-1] if m else ""
        if m is None:
            m = _TOP_ARE.search(sent)
            if m is None:
                return
            text = re.split(r"[;,]|\.\s|\bwhile\b|\bwhereas\b|\bbut\b", sent[m.end():])[0]
        if _NOT_OVERALL.search(sent[:m.start()]) or re.search(r"\b(?:not|never|none|neither)\b", sent[m.start():], re.I):
            return
        n = count_of(next(g for g in m.groups() if g))
        who = self.resolve(text)
        if who is None or not who[0] or len(who[0]) < n or n > len(self.v.ranked) - 1:
            return
        res.n_checked += 1
        top = self.v.ranked[:n]
        out = [t for t in top if t not in who[0]]
        if out:
            self.flag(res, m.group(0).strip(), sent, lineno, f"the top {n} said to be {self._group_name(who)}",
                      f"the top {n} by best test accuracy are " + ", ".join(
                          f"{self.v.who(t)} ({self._pct(t)})" for t in top))

    def _value_extreme(self, m: re.Match[str], sent: str, lineno: int, res: "VerifyResult",
                       who: tuple[set[str], dict[str, str], set[str]], parts: list[set[str]], scope: set[str], low: bool,
                       col: str, dim: Optional[str]) -> None:
        """"λ = 0.0001 is the weakest setting at every learning rate": the value's mean against each other
        value's mean of the same parameter (per part where the words split the trials), ties either way."""
        key, val = next(iter(who[1].items()))
        cols = ("l2_sum_lambda", "l2_mul_lambda") if key == "lambda" else (key,)

        def value_of_trial(t: str) -> Optional[str]:
            shown = [self.shown[t][c] for c in cols if c in self.shown[t] and self.shown[t][c] not in ("0", "nan")]
            return shown[0] if shown else None

        want = format_param(value_of(val)).lower()
        judged = False
        for part in parts:
            means: dict[str, list[float]] = {}
            for t in self.v.ranked:
                if t in part and t in scope and (v := value_of_trial(t)) is not None and (x := _num(self.rows[t][col])) is not None:
                    means.setdefault(v, []).append(x)
            if want not in means or len(means) < 2:
                continue
            judged = True
            avg = {v: sum(xs) / len(xs) for v, xs in means.items()}
            edge = (min if low else max)(avg.values())
            if abs(avg[want] - edge) > TIE:
                holder = (min if low else max)(avg, key=lambda v: avg[v])
                name = "λ" if key == "lambda" else key
                where = f" among {self._part_name(part, dim)} trials" if dim else ""
                res.n_checked += 1
                self.flag(res, m.group(0).strip(" :,"), sent, lineno,
                          f"{name} = {val} is called the {'weakest' if low else 'strongest'} value{where}",
                          f"mean {'final' if col == 'test_acc_final' else 'best'} test accuracy{where} by {name}: "
                          + ", ".join(f"{v}: {a * 100:.2f}%" for v, a in sorted(avg.items(), key=lambda kv: float(kv[0])))
                          + f" (the {'lowest' if low else 'highest'} is {name} = {holder})")
                return
        if judged:
            res.n_checked += 1

    def _scope(self, before: str, between: str, after: str
               ) -> Optional[tuple[set[str], tuple[set[str], dict[str, str], set[str]]]]:
        """The trials a superlative ranks among (all, or the group the words name) and that group as resolve()
        gives it; None when words between the superlative and its noun say something this does not read
        ("best-generalising")."""
        scope_who: tuple[set[str], dict[str, str], set[str]] = (set(self.v.ranked), {}, set())
        words = [w for w in re.findall(r"[\w=.λ-]+", between) if w.lower() not in _NEUTRAL_SCOPE]
        texts = []
        if words:
            texts.append(" ".join(words))
        lead = re.match(r"\W*(?:at|with|for|among|within|in)\s+([^,]{1,40}),", before, re.I)
        if lead:
            texts.append(lead.group(1))
        trail = re.match(r"\s*(?:among|of all|of the|in the|within|across|for|at|with)\s+(.{1,40})", after, re.I)
        if trail and not re.match(r"\s*(?:of|in) the (?:sweep|grid|study|experiment|\d+)", after, re.I):
            texts.append(trail.group(1))
        scope = set(self.v.ranked)
        for i, text in enumerate(texts):
            who = self.resolve(text)
            if who is None or not who[0]:
                if i == 0 and words:
                    return None
                continue
            scope &= who[0]
            scope_who = (scope, who[1], who[2])
        return scope, scope_who

    def _extreme(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        for m in _EXTREME.finditer(sent):
            self._extreme_one(m, sent, lineno, res)

    def _extreme_one(self, m: re.Match[str], sent: str, lineno: int, res: "VerifyResult") -> None:
        """"t004 ends with the lowest test loss": the subject is the narrowest clause before the words
        that names a trial or group ("the two λ = 0.0001 runs end with the highest test loss, and t004,
        not t001, ends with the lowest" holds two claims)."""
        word = (m.group(1) or m.group(4) or "most").lower()
        what = (m.group(2) or "gap").lower()
        col = ("margin" if "margin" in what else "train_acc_final" if "accuracy" in what else
               "test_loss_final" if "loss" in what else "train_test_gap_final")
        high = word in ("largest", "highest", "biggest", "greatest", "most")
        head = _DENIED.sub(" ", sent[:m.start()])
        who = None
        for cut in (r"[:;]|\band\b|\bwhile\b|\bwhereas\b|\bbut\b", r"[:;]", r"$^"):
            who = self.resolve(re.split(cut, head)[-1])
            if who is not None and who[0]:
                break
        if who is None or not who[0]:
            who = self.resolve(_DENIED.sub(" ", sent))
        if who is None or not who[0]:
            return
        vals = {t: float(r[col]) for t, r in self.rows.items() if r[col] == r[col]}
        if not vals:
            return
        top = (max if high else min)(vals, key=lambda t: vals[t])
        res.n_checked += 1
        tol = TIE if col in ("train_test_gap_final", "train_acc_final") else 5e-5  # equal at the precision shown
        if not any(abs(vals[t] - vals[top]) <= tol for t in who[0] if t in vals):
            name = col.replace("train_test_gap_final", "final train − test gap").replace("_final", "").replace("_", " ")
            shown = self._fmt(vals[top], col)
            word = {"most": "largest", "least": "smallest"}.get(word, word)
            self.flag(res, m.group(0), sent, lineno,
                      f"the {word} {name} credited to {self._group_name(who)}",
                      f"the {word} {name} is {self.v.who(top)}'s ({shown})")

    # -- comparisons ------------------------------------------------------------------------------------------
    def _levelled(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"t014 had already levelled off by the end": not still climbing (its best not in the last two
        epochs, the converse of _still_climbing's rule); "flattened out well before the end": settled
        (curves.converged_epoch) at least WELL_BEFORE_END epochs before its last; "by the midpoint": settled
        by half the epochs. "not"/"never" before the verb turns the claim round."""
        m = _LEVELLED.search(sent)
        label = _START_LABEL.match(sent)
        if label:  # "fastest start: lr=0.1" is "lr=0.1 got off to the fastest start"
            alone = _ALONE_BETTER.search(f"{label.group(2)} got off to the {label.group(1)} start")
            if alone:
                self._against_rest(f"{label.group(2)} got off to the {label.group(1)} start", alone, lineno, res)
        if not m:
            return
        head = re.split(r"[:;,]|\.\s|\b(?:while|whereas|but|and)\b", re.sub(r"\([^)]*\)", "", sent[:m.start()]))[-1]
        who = self.resolve(head) or self.resolve(re.split(r"[:;]|\.\s", sent[:m.start()])[-1])
        if who is None or not who[0]:
            return
        done = [t for t in sorted(who[0]) if self.rows[t]["status"] == "completed"]
        if not done or len(who[0]) > 6 and not re.search(r"\b(?:all|every|each|both)\b", head, re.I):
            return
        negated = bool(re.search(r"\b(?:not|never|n't|yet to)\b", sent[max(0, m.start() - 20):m.start()], re.I))
        what, when = m.group("what").lower(), m.group("when").lower()
        n = max(self.fs.n_epochs, 1)

        def holds(t: str) -> bool:
            last = int(self.rows[t]["epochs_done"])
            if what in ("midpoint", "middle", "halfway point"):
                e = self._settled(t)
                return e is not None and e <= n / 2
            if when.startswith(("well", "long")):
                e = self._settled(t)
                return e is not None and e <= last - WELL_BEFORE_END
            return not self._climbing(t)

        verdict = {t: holds(t) != negated for t in done}
        res.n_checked += 1
        bad = [t for t, ok in verdict.items() if not ok]
        if bad:
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"{', '.join(self.v.who(t) for t in bad[:3])} said {'not ' if negated else ''}to have levelled off "
                      f"{when} the {what}",
                      "; ".join(self._climb_says(t) + (f", settled at epoch {e:g}" if (e := self._settled(t)) is not None else "")
                                for t in bad[:3]))

    def _gave_best(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"wn = 1.2 also gave the best Multiplication run", "Summation produced the worst run": the best (or
        worst) trial by best test accuracy, among the group the words between name, has the subject's value."""
        m = _GAVE_BEST.search(sent)
        if not m or _NOT_OVERALL.search(sent[:m.start()]) or re.search(r"\b(?:not|never|n't)\b", sent[max(0, m.start() - 15):m.start()]):
            return
        who = self.resolve(re.split(r"[:;,]|\.\s|\b(?:and|while|whereas|but)\b", sent[:m.start()])[-1])
        if who is None or not who[0] or TRIAL_ID.search(sent[:m.start()]):
            return
        words = [w for w in m.group("scope").split() if w.lower() not in _NEUTRAL_SCOPE]
        scope = self.resolve(" ".join(words)) if words else None
        if words and (scope is None or not scope[0]):
            return
        pool = [t for t in self.v.ranked if scope is None or t in scope[0]]
        if len(pool) < 2:
            return
        low = bool(re.match(r"worst|weakest|lowest", m.group("adj"), re.I))
        edge = (min if low else max)(self.best[t] for t in pool)
        holders = [t for t in pool if abs(self.best[t] - edge) <= TIE]
        res.n_checked += 1
        if not any(t in who[0] for t in holders):
            among = f" among {self._group_name(scope)}" if scope else ""
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"the {m.group('adj').lower()} run{among} credited to {self._group_name(who)}",
                      f"it is {self.v.who(holders[0])} ({self._pct(holders[0])})")

    def _peak_window(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"None of the lr = 0.003 runs peaked before epoch 22", "every lr = 0.03 run reached its best before
        the final epoch", "t006 peaked after epoch 20": each trial's best epoch against the window
        (before N: earlier than N; after N: later; by N: N or earlier; "the final epoch" is the trial's own
        last). "none"/"no" says it of no trial, "every"/"all"/"both"/a plural of each, else the one named."""
        m = _PEAK_WINDOW_ANY.search(sent)
        if not m:
            return
        head = re.split(r"[:;]|\.\s|\b(?:while|whereas|but)\b", sent[:m.start()])[-1]
        none = bool(re.search(r"\b(?:none|no|neither)\b", head, re.I))
        who = self.resolve(re.sub(r"\b(?:none|no|neither)\s+of\s+", "", head))
        if who is None and re.search(r"\b(?:every|each|all|no|none)\b(?:\s+of\s+the)?\s+(?:\w+\s+)?(?:runs?|trials?)\b", head, re.I):
            who = (set(self.v.ranked), {}, set())  # "Every run reached its best before the final epoch"
        if who is None or not who[0]:
            return
        done = [t for t in sorted(who[0]) if self.rows[t]["status"] == "completed"]
        if not done:
            return
        each = none or len(who[0]) == 1 or bool(re.search(r"\b(?:every|all|each|both)\b|\bruns\b|\btrials\b", head, re.I))

        def inside(t: str) -> bool:
            e = int(self.rows[t]["test_acc_best_epoch"])
            at = m.group("at").lower()
            last = int(self.rows[t]["epochs_done"])
            n = last if at in ("final epoch", "last epoch") else max(self.fs.n_epochs, 1) // 2 if at in ("midpoint", "middle") \
                else int(at)
            when = m.group("when").lower()
            return e < n if when in ("before", "prior to", "earlier than") else e > n if when in ("after", "later than") \
                else e <= n

        verdict = {t: inside(t) for t in done}
        res.n_checked += 1
        ok = (not any(verdict.values())) if none else all(verdict.values()) if each else any(verdict.values())
        if not ok:
            bad = [t for t, v in verdict.items() if v == none]
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"{'none' if none else 'each'} of {self._group_name(who)} said to peak {m.group('when').lower()} "
                      f"{'epoch ' if m.group('at').isdigit() else 'the '}{m.group('at')}",
                      "; ".join(f"{self.v.who(t)}: best at epoch {int(self.rows[t]['test_acc_best_epoch'])}" for t in bad[:3])
                      + ("; …" if len(bad) > 3 else ""))

    def _tie(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"t001 and t004 are essentially tied", "t010 is level with t008": two trials or groups by best
        test accuracy (a group's mean; its best trial where the words say "on the best trial"). A tie is
        what verdicts.Judge calls level (equal at the precision shown, or within the seed noise where the
        sweep has seeds); hedged ("essentially", "virtually", "nearly"), within HEDGED_TIE (0.5 pp) too."""
        m = _TIED.search(sent)
        if not m or re.search(r"\b(?:not|never|n't)\b", sent[max(0, m.start() - 12):m.end()], re.I):
            return
        head = re.split(r"[:;,]|\.\s|\b(?:while|whereas|but)\b", sent[:m.start()])[-1]
        if m.group("other"):
            sides = [head, m.group("other")]
        else:
            sides = [x for x in re.split(r"\s+(?:and|&)\s+", head.strip()) if x.strip()]
        if len(sides) != 2:
            return
        a, b = self.resolve(sides[0]), self.resolve(sides[1], *(lambda w: (w[1], w[2]) if w else (None, None))(self.resolve(sides[0])))
        if a is None or b is None or not a[0] or not b[0] or a[0] & b[0]:
            return
        on_best = re.search(r"\b(?:on|by|for)\s+(?:the\s+|their\s+|its\s+)?(?:best|top)\s+(?:trial|run)s?\b", sent, re.I)
        va, vb = (max(self.best[t] for t in g) if on_best else sum(self.best[t] for t in g) / len(g) for g in (a[0], b[0]))
        judge = Judge(self.fs)  # the offline report's rule: equal at the precision shown, or within the seed noise
        limit = max(HEDGED_TIE, judge.noise) if m.group("hedge") else max(TIE, judge.noise)
        res.n_checked += 1
        if not judge.level(va, vb) and not (m.group("hedge") and abs(va - vb) <= limit + 1e-9):
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"{self._group_name(a)} and {self._group_name(b)} said to be {m.group('word')}",
                      f"by {'best trial' if on_best else self._measure(a[0], b[0])}: {va * 100:.2f}% vs {vb * 100:.2f}% "
                      f"({abs(va - vb) * 100:.2f} pp apart; "
                      + (f"a tie {'here ' if m.group('hedge') else ''}is within {limit * 100:.2f} pp)"))

    def _type_wins(self, sent: str, lineno: int, res: "VerifyResult") -> bool:
        """"Multiplication wins at every λ", "Overall, Summation looks like the stronger penalty": one
        experiment type named as the subject, against each other type of the sweep, by mean best test
        accuracy (split by the parameter after "at every"); a tie is not a win."""
        m = _TYPE_WINS.search(sent)
        if not m:
            return False
        subject = re.split(r"[:;,]|\.\s|\b(?:and|while|but|whereas)\b", sent[:m.start()])[-1]
        named = [t for t, p in TYPE_WORDS.items() if p.search(subject)]
        swept = sorted({str(r["exp_type"]) for r in self.rows.values()})
        if len(named) != 1 or named[0] not in swept or len(swept) < 2 or _NOT_OVERALL.search(sent[:m.start()]) or \
                re.search(r"\b(?:not|never|n't)\b", sent[:m.start()][-25:], re.I):
            return False
        low = bool(m.group("adj") and re.match(r"weaker|worse|inferior", m.group("adj"), re.I))
        every = _EVERY.search(sent[m.end():])
        parts = self._parts(every.group(1)) if every else [set(self.v.ranked)]
        if parts is None:
            return True
        me = {t for t, r in self.rows.items() if r["exp_type"] == named[0]}
        for other in (t for t in swept if t != named[0]):
            them = {t for t, r in self.rows.items() if r["exp_type"] == other}
            for part in parts:
                ga, gb = me & part, them & part
                if not ga or not gb:
                    continue
                va, vb = (sum(self.best[t] for t in g) / len(g) for g in (ga, gb))
                res.n_checked += 1
                if not ((vb - va > TIE) if low else (va - vb > TIE)):
                    where = f" among {self._part_name(part, every.group(1))} trials" if every else ""
                    self.flag(res, m.group(0).strip(), sent, lineno,
                              f"{named[0]} said to do {'worse' if low else 'better'} than {other}{where}",
                              f"mean best test accuracy{where}: {named[0]} {va * 100:.2f}%, {other} {vb * 100:.2f}%")
                    return True
        return True

    def _own(self, t: str, key: str) -> Optional[str]:
        """A trial's value of `key` as written; for λ its own type's weight (a Summation trial's mul weight is 0)."""
        if key != "lambda":
            return self.shown[t].get(key)
        typ = self.rows[t]["exp_type"]
        return self.shown[t]["l2_sum_lambda"] if typ == "Summation" else self.shown[t]["l2_mul_lambda"] if typ == "Multiplication" \
            else None

    def _twin(self, tid: str, mod: str) -> Optional[str]:
        """The trial equal to `tid` in every varied parameter but the one `mod` names ("seed-43", "bs = 32",
        "Multiplication": the other type at the same λ)."""
        text = re.sub(r"\b(seed|lr|bs|wn)[- ](\d)", r"\1=\2", mod)
        want = dict(self.shown[tid])
        typ = next((t for t, p in TYPE_WORDS.items() if p.search(text)), None)
        changed = False
        for p in PARAM_ANY.finditer(text):
            key = next(k for k, val in p.groupdict().items() if val and k != "val")
            if key in want:
                want[key], changed = format_param(value_of(p.group("val"))).lower(), True
        if typ and typ != self.rows[tid]["exp_type"]:
            lam = self._own(tid, "lambda") or "0"
            want["exp_type"] = typ.lower()
            want["l2_sum_lambda"], want["l2_mul_lambda"] = (lam, "0") if typ == "Summation" else ("0", lam)
            changed = True
        if not changed:
            return None
        keys = [k for k in self.fs.varied if k in want] + (["exp_type"] if typ else [])
        hits = [t for t in self.v.ranked if t != tid and all(str(self.shown[t].get(k, "")).lower() == str(want[k]).lower()
                                                              for k in keys)]
        return hits[0] if len(hits) == 1 else None

    def _won_of(self, sent: str, lineno: int, res: "VerifyResult") -> bool:
        """"wn = 1.2 won 3 of the 5 completed head-to-head pairs": a parameter value (or type) against the
        sweep's other values of it, over the matched pairs (every other varied parameter equal; "completed":
        both trials completed), wins by best test accuracy (a tie is not a win)."""
        m = _WON_OF.search(sent)
        if not m:
            return False
        who = self.resolve(re.split(r"[:;,]|\.\s", sent[:m.start()])[-1])
        if who is None or not who[0] or TRIAL_ID.search(sent[:m.start()]):
            return True
        if who[2] and not who[1]:
            rest = {t for t, r in self.rows.items() if r["exp_type"] not in who[2]}
        elif len(who[1]) == 1:
            key = next(iter(who[1]))
            mine = {self._own(t, key) for t in who[0]}
            rest = {t for t in self.rows if t not in who[0] and self._own(t, key) not in mine and self._own(t, key) is not None}
        else:
            return True
        pairs = self._matched_pairs(who[0], rest)
        if re.search(r"\bcompleted\b", m.group("words"), re.I):
            pairs = [(x, y) for x, y in pairs if self.rows[x]["status"] == self.rows[y]["status"] == "completed"]
        if not pairs:
            return True
        won = [(x, y) for x, y in pairs if self.best[x] - self.best[y] > TIE]
        n = int(m.group("n")) if m.group("n").isdigit() else COUNT_WORDS.get(m.group("n").lower(), -1)
        res.n_checked += 1
        if n != len(won) or int(m.group("total")) != len(pairs):
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"{self._group_name(who)} said to win {m.group('n')} of {m.group('total')} matched pairs",
                      f"it wins {len(won)} of the {len(pairs)} matched pairs by best test accuracy" + (
                          ": " + ", ".join(f"{self.v.who(x)} {self._pct(x)} vs {self._pct(y)}" for x, y in won[:4]) if won else ""))
        return True

    def _compare_with(self, sent: str, lineno: int, res: "VerifyResult") -> bool:
        """"At lr = 0.03 Multiplication did better with λ = 0.01 than with λ = 0.001": the subject's trials
        with one setting against the same subject's trials with the other, by mean best test accuracy."""
        m = _BETTER_WITH.search(sent)
        if not m:
            return False
        subject = re.split(r"[:;]|\.\s", sent[:m.start()])[-1]
        subj = self.resolve(subject)
        shared, types = (subj[1], subj[2]) if subj else ({}, set())
        a, b = self.resolve(m.group("a"), shared, types), self.resolve(m.group("b"), shared, types)
        if a is None or b is None or not a[0] or not b[0] or a[0] & b[0]:
            return True
        res.n_checked += 1
        va = sum(self.best[t] for t in a[0]) / len(a[0])
        vb = sum(self.best[t] for t in b[0]) / len(b[0])
        better = m.group("dir").lower() == "better"
        if not ((va - vb > TIE) if better else (vb - va > TIE)):
            self.flag(res, m.group(0).strip(), sent, lineno,
                      f"{self._group_name(a)} said to do {m.group('dir').lower()} than {self._group_name(b)}",
                      f"by {self._measure(a[0], b[0])}: {va * 100:.2f}% vs {vb * 100:.2f}%")
        return True

    def _compare(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        if self._compare_with(sent, lineno, res):
            return
        chain = self._chain(sent)
        if chain is not None:
            self._check_chain(chain, sent, lineno, res)
            return
        m = _BETTER.search(sent) or _WORSE.search(sent)
        better = m is not None and bool(_BETTER.fullmatch(m.group(0)) or _BETTER.match(m.group(0)))
        passive = m is not None and bool(_PASSIVE.search(sent[:m.start()])) and bool(re.match(r"\s+by\b", sent[m.end():], re.I))
        if m is not None and (passive or (better and m.group(0).lower() == "beaten")):
            if not passive:
                return  # "beaten" without "by": not a comparison this reads
            better = not better  # "A was outperformed by B" is "B outperformed A"
        alone = _ALONE_BETTER.search(sent)
        if alone and re.match(r"\s*than\b", sent[alone.end():], re.I):
            alone = None
        if m is None or (alone and alone.end() <= m.start()):
            # "lr = 0.1 gave the fastest start, ahead of every other learning rate": the value against the rest
            if m is None and (self._type_wins(sent, lineno, res) or self._won_of(sent, lineno, res)):
                return
            if alone:
                self._against_rest(sent, alone, lineno, res)
            return
        if re.match(r"\s*,", sent[m.end():]) and not passive:
            return  # "t004 is 0.30 pp behind, the best Multiplication run": behind the one named before, not this
        negated = bool(re.search(r"\b(?:never|not|no longer)\s+(?:\w+\s+)?$|n't\s+(?:\w+\s+)?$", sent[:m.start()], re.I))
        if negated:
            self._never_beat(sent, m, better, lineno, res)
            return
        left = re.split(r"[:;]", sent[:m.start()])[-1]
        every = _EVERY.search(sent[m.end():])
        leading = re.match(r"\W*(?:at|for|across)\s+(?:every|each|all|both)\s+([a-zλ_ ]{1,30}?)\s*,", left, re.I)
        if every is None and leading:
            left = left[leading.end():]
        right = sent[m.end():m.end() + every.start() if every else None]
        if passive:
            right = re.sub(r"^\s+by\b", "", right, flags=re.I)
        right = re.split(r"[;]|,\s*(?:while|whereas|but|and)\b|\bwhile\b|\bwhereas\b", right)[0]
        twin = _TWIN.match(right)
        a0, b0 = self.resolve(left), self.resolve(right)
        if twin and a0 is not None and len(a0[0]) == 1:
            # "t032 finished higher than its seed-43 twin": the trial that differs from it only there
            other = self._twin(next(iter(a0[0])), twin.group(1))
            if other is None:
                return
            b0, right = ({other}, {}, set()), other
        bare = r"^\W*(?:that of\s+|those (?:at|with)\s+|the\s+)?(\d+(?:\.\d+)?(?:e-?\d+)?)\s*\W*$"
        for side, other, text in ((0, a0, right), (1, b0, left)):
            # "the larger learning rate of 0.03 did better than 0.01": a bare value takes the other side's parameter
            v = re.match(bare, text, re.I)
            if v and other is not None and len(other[1]) == 1:
                key = next(iter(other[1]))
                written = f"{'λ' if key == 'lambda' else key}={v.group(1)}"
                named = self.resolve(written, None, other[2] or None)
                if named is None:
                    return
                if side == 0:
                    b0, right = named, written
                else:
                    a0, left = named, written
        if a0 is None or b0 is None:
            return
        # what both sides share: a leading "At lr = 0.03", "With lr = 0.1,", "For Multiplication,", and a
        # type named on one side only; the parameters that describe one side's subject stay with it
        lead = re.match(r"\s*(?:\W*\s*)?(?:at|with|for|among|under|using|when|in)\s+([^,]*?)(?:,|\s+the\b)", left, re.I)
        ctx = self.resolve(lead.group(1)) if lead else None
        shared = dict(ctx[1]) if ctx else {}
        for side in (left, right):  # "λ=0.0001 beats λ=0.01 at lr=0.003": "at lr=0.003" is said of both
            for p in PARAM_ANY.finditer(side):
                if re.search(r"\b(?:at|with|for|under|using)\s+$", side[:p.start()], re.I):
                    key = next(k for k, val in p.groupdict().items() if val and k != "val")
                    shared.setdefault(key, p.group("val"))
        a_types = a0[2] or (b0[2] if not b0[2] else set()) or (ctx[2] if ctx else set())
        b_types = b0[2] or a0[2]
        a = a0 if TRIAL_ID.search(left) else self.resolve(left, shared, a_types)
        b = b0 if TRIAL_ID.search(right) else self.resolve(right, shared, b_types)
        if a is None or b is None or not a[0] or not b[0] or a[0] == b[0]:
            return
        counted = _PAIR_COUNT.search(sent[m.end():])
        if counted:
            self._count_pairs(counted, a, b, better, m, sent, lineno, res)
            return
        dim = every.group(1) if every else (leading.group(1) if leading else None)
        parts = self._parts(dim)
        if parts is None:
            return
        # "t032 finished higher than t033", "ended ahead of": the final test accuracy, not the best
        final = bool(re.search(r"\b(?:finish(?:ed|es)?|end(?:ed|s)?|final(?:ly)?)\b", m.group(0) + " " + sent[max(0, m.start() - 25):m.start()],
                               re.I)) and not re.search(r"\bbest\b", sent, re.I)
        score = self.final if final else self.best
        at = re.match(r"\W*(?:at|by|after|in)\s+(?:the\s+end\s+of\s+)?(?:epoch\s+(\d+)|(?:the\s+)?(first|one)\s+epoch)\b", sent, re.I)
        if at:  # "At epoch 11, t007 (84.4%) was slightly ahead of its twin t006": the test accuracies at that epoch
            e = int(at.group(1)) if at.group(1) else 1
            score = {t: x for t in self.v.ranked if (x := self.v.curves.at(t, "test_acc", e)) is not None}
            if not (a[0] | b[0]) <= score.keys():
                return
        pick_a, pick_b = self._pick(left, score), self._pick(right, score)
        # a quantified side ("every X", "both Y runs") is each of its trials: its weakest (or strongest) one decides
        if re.search(r"\b(every|all|each)\b", left, re.I) and re.search(r"\b(every|all|any|each|both)\b", right, re.I):
            pick_a = (lambda g: min(score[t] for t in g)) if better else (lambda g: max(score[t] for t in g))
        if re.search(r"\b(every|all|any|each|both)\b", right, re.I) and (
                re.search(r"\b(every|all|each)\b", left, re.I) or self._picks_one(left)):
            pick_b = (lambda g: max(score[t] for t in g)) if better else (lambda g: min(score[t] for t in g))
        # "clearly ahead", "comfortably beat": a margin beyond HEDGED_TIE (or the seed noise), not 0.04 pp
        strong = bool(_STRONG.search(sent[max(0, m.start() - 25):m.end() + 12]))
        margin = max(HEDGED_TIE, Judge(self.fs).noise) if strong else TIE
        failed = []
        n = 0
        for part in parts:
            ga, gb = a[0] & part, b[0] & part
            if not ga or not gb:
                continue
            n += 1
            va, vb = pick_a(ga), pick_b(gb)
            ok = (va - vb > margin) if better else (vb - va > margin)
            if not ok:
                failed.append((part, va, vb))
        if n == 0:
            return
        res.n_checked += 1
        if failed:
            part, va, vb = failed[0]
            where = f" (e.g. among {self._part_name(part, dim)})" if dim else ""
            # the whole comparison ("Every regularized run beat both unregularized runs"), not its verb: a
            # sentence may hold two comparisons with one verb
            phrase = (re.split(r",", left)[-1] + m.group(0) + re.split(r",", right)[0]).strip()
            self.flag(res, phrase, sent, lineno,
                      f"{self._group_name(a)} said to do {'clearly ' if strong else ''}{'better' if better else 'worse'} than "
                      f"{self._group_name(b)}" + (f" at every {dim}" if dim else "") + (
                          f" (clearly: by more than {margin * 100:.2f} pp)" if strong else ""),
                      f"by {self._measure(a[0], b[0], final, e if at else None)}: "
                      f"{va * 100:.2f}% vs {vb * 100:.2f}%{where}")

    def _never_beat(self, sent: str, m: re.Match[str], better: bool, lineno: int, res: "VerifyResult") -> None:
        """"Multiplication never beat Summation at the same λ and lr", "t003 did not outperform t000": with
        matched-pair words, no matched pair may go A's way; else A must not be ahead by the comparison's
        own measure (best test accuracy, a group's mean)."""
        left = re.sub(r"\b(?:never|not|no longer|did|does|do|has|have|had)\b|n't", " ", re.split(r"[:;,]", sent[:m.start()])[-1])
        right = re.split(r"[;,]|\.\s|\b(?:while|whereas|but)\b", sent[m.end():])[0]
        a, b = self.resolve(left), self.resolve(re.sub(r"\b(?:at|with|in)\s+(?:the\s+)?same\b.*", "", right))
        if a is None or b is None or not a[0] or not b[0] or a[0] & b[0]:
            return
        if not better:
            a, b = b, a  # "A never trailed B": B never beat A
        matched = re.search(r"\b(?:same|matched|paired|head-to-head|pair(?:s|ings?)?)\b", right, re.I)
        res.n_checked += 1
        if matched:
            pairs = self._matched_pairs(a[0], b[0])
            won = [(x, y) for x, y in pairs if self.best[x] - self.best[y] > TIE]
            if won:
                x, y = won[0]
                self.flag(res, m.group(0).strip(), sent, lineno,
                          f"{self._group_name(a)} said never to beat {self._group_name(b)} in a matched pair",
                          f"{len(won)} of {len(pairs)} matched pairs go its way, e.g. {self.v.who(x)} {self._pct(x)} vs "
                          f"{self.v.who(y)} {self._pct(y)}")
            return
        va, vb = (sum(self.best[t] for t in g) / len(g) for g in (a[0], b[0]))
        if va - vb > TIE:
            self.flag(res, m.group(0).strip(), sent, lineno, f"{self._group_name(a)} said not to beat {self._group_name(b)}",
                      f"by {self._measure(a[0], b[0])}: {va * 100:.2f}% vs {vb * 100:.2f}%")

    def _count_pairs(self, counted: re.Match[str], a_who: tuple[set[str], dict[str, str], set[str]],
                     b_who: tuple[set[str], dict[str, str], set[str]], better: bool, m: re.Match[str], sent: str,
                     lineno: int, res: "VerifyResult") -> None:
        """"Summation beats Multiplication in 16 of the 18 matched configurations", "... in all 18 pairings":
        over the matched pairs (one trial of each side, every other varied parameter equal), how many the
        first side wins by best test accuracy (a tie is not a win), and how many pairs there are."""
        a, b = a_who[0], b_who[0]
        pairs = self._matched_pairs(a, b)
        if not pairs:
            return
        wins = [(x, y) for x, y in pairs if (self.best[x] - self.best[y] > TIE if better else self.best[y] - self.best[x] > TIE)]
        word = (counted.group("n") or counted.group("all")).lower()
        n_said = len(pairs) if word in ("all", "every", "each", "both") else int(word) if word.isdigit() else COUNT_WORDS.get(word)
        total = counted.group("total")
        res.n_checked += 1
        if n_said != len(wins) or (total is not None and int(total) != len(pairs)) or (
                word in ("all", "every", "each", "both") and counted.group("all_n") and int(counted.group("all_n")) != len(pairs)) or (
                word == "both" and len(pairs) != 2):
            lost = [(x, y) for x, y in pairs if (x, y) not in wins]
            self.flag(res, (m.group(0) + sent[m.end():m.end() + counted.end()]).strip(), sent, lineno,
                      f"{self._group_name(a_who)} said to {'beat' if better else 'trail'} {self._group_name(b_who)} in "
                      + (f"{word} of {total}" if total else f"{word} {counted.group('all_n') or ''}".strip()) + " matched pairs",
                      f"{len(wins)} of the {len(pairs)} matched pairs are won by best test accuracy" + (
                          "; not: " + ", ".join(f"{self.v.who(x)} {self._pct(x)} vs {self.v.who(y)} {self._pct(y)}"
                                                for x, y in lost[:3]) if lost else ""))

    def _higher_in_pairs(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"Across the six matched pairs, bs = 32 gave the higher best test accuracy in 4 of the 6": the
        value against the other value of its parameter, pair by pair (every other varied parameter equal);
        a tie is no win."""
        m = _HIGHER_IN.search(sent)
        if not m:
            return
        a = self.resolve(re.split(r"[:;,]", sent[:m.start()])[-1])
        b = self._the_rest(a)
        if a is None or b is None or not a[1] or len(b[1]) != 1:
            return
        pairs = self._matched_pairs(a[0], b[0])
        n_said, total = (count_of(m.group(k)) for k in ("n", "total"))
        if not pairs or n_said is None or total is None:
            return
        final = "final" in m.group(0).lower()
        score = self.final if final else self.best
        up = m.group("dir").lower() in ("higher", "better")
        wins = [(x, y) for x, y in pairs if x in score and y in score and ((score[x] - score[y] > TIE) if up else (score[y] - score[x] > TIE))]
        res.n_checked += 1
        if n_said != len(wins) or total != len(pairs):
            self.flag(res, m.group(0), sent, lineno,
                      f"{self._group_name(a)} said to have the {m.group('dir').lower()} {'final' if final else 'best'} test accuracy "
                      f"in {m.group('n')} of {m.group('total')} matched pairs",
                      f"it does in {len(wins)} of the {len(pairs)} matched pairs against {self._group_name(b)}")

    def _matched_pairs(self, a: set[str], b: set[str]) -> list[tuple[str, str]]:
        """Each trial of `a` with the trial of `b` that differs from it only where the two sides differ (the
        type, and λ as each type's own weight; or the parameter the sides name), every other varied
        parameter equal; trials without a partner are left out."""
        def own(t: str) -> dict[str, str]:
            r = self.shown[t]
            return {**{k: r[k] for k in self.fs.varied if k not in ("l2_sum_lambda", "l2_mul_lambda")},
                    "λ": self._own(t, "lambda") or "0"}
        keys = set().union(*(own(t).keys() for t in a | b))
        apart = {k for k in keys if not {own(t).get(k) for t in a} & {own(t).get(k) for t in b}}
        sig = lambda t: tuple(sorted((k, v) for k, v in own(t).items() if k not in apart))  # noqa: E731
        by_sig: dict[tuple, list[str]] = {}
        for t in sorted(b):
            by_sig.setdefault(sig(t), []).append(t)
        return [(x, by_sig[sig(x)][0]) for x in sorted(a) if len(by_sig.get(sig(x), [])) == 1]

    def _pick(self, text: str, score: Optional[dict[str, float]] = None) -> Callable[[set[str]], float]:
        """How a side's trials are summed up: "the best X" its best trial, "the worst X" its worst, else the mean."""
        text = re.sub(r"\([^)]*\)", "", text)
        s = self.best if score is None else score
        run = r"\s+(?:[\w=.λ-]+\s+){0,3}?(?:run|trial|configuration|config|model|result|one)s?\b"
        if re.search(r"\b(best|top|strongest)" + run, text, re.I):
            return lambda g: max(s[t] for t in g)
        if re.search(r"\b(worst|weakest|lowest)" + run, text, re.I) and not re.search(r"penalt|λ|lambda", text, re.I):
            return lambda g: min(s[t] for t in g)
        return lambda g: sum(s[t] for t in g) / len(g)

    def _picks_one(self, text: str) -> bool:
        """Does the side name one trial ("t003", "the weakest regularized run")?"""
        text = re.sub(r"\([^)]*\)", "", text)
        return bool(TRIAL_ID.search(text) or re.search(r"\b(best|top|strongest|worst|weakest|lowest)\s+(?:[\w=.λ-]+\s+){0,3}?"
                                                      r"(?:run|trial|configuration|config|model|one)\b", text, re.I))

    def _measure(self, a: set[str], b: set[str], final: bool = False, epoch: Optional[int] = None) -> str:
        if epoch is not None:
            return f"test accuracy at epoch {epoch}"
        what = "final test accuracy" if final else "best test accuracy"
        return what if len(a) == 1 and len(b) == 1 else f"mean {what}"

    def _parts(self, dim: Optional[str]) -> Optional[list[set[str]]]:
        """The trials split by the dimension after "at every"/"for both" (None: not understood)."""
        alltr = set(self.v.ranked)
        if dim is None:
            return [alltr]
        d = dim.lower()
        keys = [k for k, rx in (("lr", r"learning rate|\blr\b"), ("batchsize", r"batch"), ("seed", r"seed"),
                                ("exp_type", r"type|regulari[sz]ation|penalt|setting"), ("lambda", r"λ|lambda|weight"))
                if re.search(rx, d)]
        if re.search(r"\bpairs?\b", d):
            keys = [k for k in self.fs.varied if k not in ("seed",)]  # a matched pair: all else equal
            if "seed" not in self.fs.varied:
                keys = [k for k in keys if k not in ("lr", "batchsize")]
        if not keys:
            return None
        groups: dict[tuple, set[str]] = {}
        for t, r in self.rows.items():
            # λ is each type's own weight: "at every λ" puts sum=0.01 and mul=0.01 in one part
            groups.setdefault(tuple(self._own(t, k) if k == "lambda" else format_param(r[k]) for k in keys), set()).add(t)
        return list(groups.values())

    def _part_name(self, part: set[str], dim: str) -> str:
        t = next(iter(part))
        if re.search(r"\bpairs?\b", dim, re.I):
            return ", ".join(self.v.who(x) for x in sorted(part))
        r = self.rows[t]
        bits = [f"{k}={format_param(r[k])}" for k in ("lr", "batchsize", "seed") if re.search(k[:5], dim.replace(" ", ""), re.I)
                or (k == "lr" and re.search("learning", dim, re.I))]
        if re.search(r"λ|lambda|weight", dim, re.I) and (lam := self._own(t, "lambda")):
            bits.append(f"λ={lam}")
        return " ".join(bits) or str(r["exp_type"])

    def _chain(self, sent: str) -> Optional[list[tuple[str, set[str]]]]:
        """"0.01 > 0.03 > 0.1" (values of the parameter the sentence names) or "Summation > Multiplication";
        "Order: 0.001 best (88.12%), then 0.0001, then 0.01" is the same chain in words."""
        item = r"(?:[\wλ.-]+\s*=\s*)?[\w.λ=-]+"
        worded = _ORDER_WORDS.search(sent) if ">" not in sent else None
        if worded:
            m = worded
            items = [re.sub(r"\([^)]*\)", "", x).split()[0].rstrip(".,") for x in re.split(r",?\s+then\s+", m.group(1))
                     if re.sub(r"\([^)]*\)", "", x).split()]
            if len(items) < 2:
                return None
        else:
            if ">" not in sent:
                return None
            m = re.search(rf"((?:{item}\s*>\s*)+{item})", sent)
            if not m or ">" not in m.group(1):
                return None
            items = [x.strip(" ()").rstrip(".") for x in m.group(1).split(">")]  # "0.01." ends the sentence
        key = None
        for k, rx in (("lr", r"learning rates?|\blr\b"), ("batchsize", r"batch[ _]?sizes?"),
                      ("lambda", r"λ|lambda|penalt")):
            if re.search(rx, sent, re.I):
                key = k
                break
        if key is None and all(re.fullmatch(r"\d+(?:\.\d+)?(?:e-?\d+)?", it) for it in items):
            # "For Summation, the order is 0.001 > 0.01 > 0.0001": the one varied parameter that used every value
            fits = [k for k, cols in (("lr", ("lr",)), ("batchsize", ("batchsize",)),
                                      ("lambda", ("l2_sum_lambda", "l2_mul_lambda")))
                    if any(c in self.fs.varied for c in cols)
                    and all(any(format_param(value_of(it)) == self.shown[t][c] for t in self.rows for c in cols) for it in items)]
            key = fits[0] if len(fits) == 1 else None
        types = {t for t, p in TYPE_WORDS.items() if p.search(sent[:m.start()] + sent[m.end():])}
        if not types and key == "lambda":
            # "**l2_sum_lambda → 0.001.** Order: 0.001 > 0.0001 > 0.01": the lead-in names whose λ is ordered
            types = {t for t, rx in (("Summation", _SUM_LAMBDA), ("Multiplication", _MUL_LAMBDA)) if rx.search(self.previous + " " + self.section)}
        out = []
        for it in items:
            who = self.resolve(it)
            if who is None and key and re.fullmatch(r"\d+(?:\.\d+)?(?:e-?\d+)?", it):
                who = self.resolve(f"{'lr' if key == 'lr' else 'bs' if key == 'batchsize' else 'λ'}={it}",
                                   None, types if len(types) == 1 else None)
            elif who is not None and not who[2] and len(types) == 1:
                who = self.resolve(it, None, types)
            if who is None or not who[0]:
                return None
            out.append((it, who[0]))
        return out if len(out) >= 2 else None

    def _check_chain(self, chain: list[tuple[str, set[str]]], sent: str, lineno: int, res: "VerifyResult") -> None:
        # "By final test accuracy the order shifts: t008 leads, then t010": the measure the sentence names
        final = bool(re.search(r"\bfinal\b", sent, re.I)) and not re.search(r"\bbest\b", sent, re.I)
        score = self.final if final else self.best
        if not all(t in score for _, g in chain for t in g):
            return
        res.n_checked += 1
        mean = lambda g: sum(score[t] for t in g) / len(g)  # noqa: E731
        vals = [(name, mean(g)) for name, g in chain]
        singles = all(len(g) == 1 for _, g in chain)
        for (n1, v1), (n2, v2) in zip(vals, vals[1:]):
            if not v1 - v2 > TIE:
                self.flag(res, f"{n1} > {n2}", sent, lineno, f"{n1} is said to do better than {n2}",
                          f"by {'' if singles else 'mean '}{'final' if final else 'best'} test accuracy: "
                          + ", ".join(f"{n}: {v * 100:.2f}%" for n, v in vals))
                return

    def _against_rest(self, sent: str, m: re.Match[str], lineno: int, res: "VerifyResult") -> None:
        """"the smaller learning rate (0.003) generalised better", "bs = 128 is the better choice",
        "the lower learning rate converged faster", "the lr = 0.01 runs got off to the fastest start":
        a parameter value against the others, by the mean over its trials of the measure the words name
        (best test accuracy; the epoch curves.converged_epoch gives for "converged faster"; the test
        accuracy at epoch 1 for "start"). A comparative is against the other values pooled, a
        superlative ("fastest") against each other value."""
        who = self.resolve(sent[:m.start()])
        if who is None or not who[0] or len(who[1]) != 1:
            return
        key, val = next(iter(who[1].items()))
        if key == "lambda" or key not in self.fs.varied:
            return
        # "For the unregularized runs, bs = 128 was better": among the types named; "... at every
        # learning rate": within each part, each on its own
        pool = {t for t in self.v.ranked if not who[2] or self.rows[t]["exp_type"] in who[2]}
        every = _EVERY.search(sent[m.end():])
        dim = every.group(1) if every else None
        parts = self._parts(dim)
        if parts is None:
            return
        word = m.group(0).lower()
        measure, name, low_wins = self._best_of, "mean best test accuracy", False
        if re.search(r"converg|settl|plateau", word):
            measure, name, low_wins = self._settled, "mean epoch at which test accuracy settled", True
            if re.search(r"slow|later", word):
                low_wins = False
        elif re.search(r"start|mark|\bline\b|blocks", word):
            measure, name = self._first_epoch, "mean test accuracy at epoch 1"
            low_wins = bool(re.search(r"slow|weak|worst", word))
        elif re.search(r"worse|worst", word):
            low_wins = True
        fmt = (lambda x: f"epoch {x:.1f}") if measure is self._settled else (lambda x: f"{x * 100:.2f}%")  # noqa: E731
        superlative = bool(re.search(r"est\b", word))
        checked = False
        for part in parts:
            mine, rest = who[0] & pool & part, (pool - who[0]) & part
            a = [x for t in mine if (x := measure(t)) is not None]
            if not a or not rest:
                continue
            if superlative:  # against each other value on its own
                others: dict[str, list[str]] = {}
                for t in rest:
                    others.setdefault(format_param(self.rows[t][key]), []).append(t)
                groups = [(f"{key} = {v}", [x for t in g if (x := measure(t)) is not None]) for v, g in sorted(others.items())]
            else:
                groups = [("the others", [x for t in rest if (x := measure(t)) is not None])]
            groups = [(n, g) for n, g in groups if g]
            if not groups:
                continue
            checked = True
            va = sum(a) / len(a)
            where = f" (among {self._part_name(part, dim)})" if dim else ""
            for gname, g in groups:
                vb = sum(g) / len(g)
                if not ((vb - va > TIE) if low_wins else (va - vb > TIE)):
                    res.n_checked += 1
                    said = m.group(0).strip()
                    self.flag(res, m.group(0), sent, lineno,
                              f"{key} = {val} said to do {'worse' if low_wins and measure is self._best_of else 'better'} than "
                              f"the other {key} values" + (f" {every.group(0).rstrip('.,;!')}" if every else "")
                              if not superlative else f"{key} = {val} said to {_infinitive(said)}" if re.match(r"start|got|gets|get|was|were|gave|gives|had|has|made|makes", word)
                              else f"{key} = {val} said to have the {said}",
                              f"{name}: {fmt(va)} at {key} = {val}, {fmt(vb)} at {gname}{where}")
                    return
        if checked:
            res.n_checked += 1

    def _best_of(self, t: str) -> Optional[float]:
        return self.best.get(t)

    def _settled(self, t: str) -> Optional[float]:
        if self.rows[t]["status"] != "completed":
            return None
        e = self.v.curves.converged_epoch(t)
        return None if e is None else float(e)

    def _first_epoch(self, t: str) -> Optional[float]:
        c = self.v.curves.curve(t, "test_acc")
        return c[0][1] if c else None

    def _compare_measure(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"The unregularized runs have uniformly smaller margins than the Summation runs": a comparison on
        a measure other than accuracy, by the means of the two groups; "uniformly", "consistently",
        "always", "all" ask it of every pair (the largest of one side against the smallest of the other).
        "... at every λ", "in every matched pair" ask it within each part, and "Multiplication had the
        smaller gap at every λ" compares with the rest of what the subject names (the other types)."""
        m = _MEASURE_CMP.search(sent)
        if not m:
            return
        a = self.resolve(sent[:m.start()])
        if m.group(0).lower().endswith("than"):
            b = self.resolve(sent[m.end():])
        elif (m.group("art") or "").lower() == "the":
            b = self._the_rest(a)
        else:
            return
        if a is None or b is None or not a[0] or not b[0] or a[0] == b[0]:
            return
        what = m.group("what").lower()
        col = ("margin" if "margin" in what else "train_test_gap_final" if "gap" in what else
               "train_acc_final" if "accura" in what else "test_loss_final")
        val = {t: x for t in a[0] | b[0] if (x := _num(self.rows[t][col])) is not None}
        every = _EVERY.search(sent[m.end():])
        dim = every.group(1) if every else None
        if dim and re.search(r"\bpairs?\b", dim, re.I):
            parts: Optional[list[set[str]]] = [{x, y} for x, y in self._matched_pairs(a[0], b[0])]
        else:
            parts = self._parts(dim)
        if not parts:
            return
        up = m.group("dir").lower() in ("larger", "higher", "bigger", "wider")
        failed, n = [], 0
        for part in parts:
            ga, gb = [t for t in a[0] & part if t in val], [t for t in b[0] & part if t in val]
            if not ga or not gb:
                continue
            n += 1
            va, vb = [val[t] for t in ga], [val[t] for t in gb]
            name_a, name_b = (self._side_in_part(g, who, part, dim) for g, who in ((ga, a), (gb, b)))
            if m.group("q"):
                ok = min(va) > max(vb) if up else max(va) < min(vb)
                says = f"{name_a}: {self._fmt(min(va), col)} to {self._fmt(max(va), col)}; " \
                       f"{name_b}: {self._fmt(min(vb), col)} to {self._fmt(max(vb), col)}"
            else:
                ma, mb = sum(va) / len(va), sum(vb) / len(vb)
                ok = ma > mb if up else ma < mb
                says = ("" if len(va) == len(vb) == 1 else "mean ") + f"{name_a}: {self._fmt(ma, col)}; {name_b}: {self._fmt(mb, col)}"
            if not ok:
                failed.append(says)
        if n == 0:
            return
        res.n_checked += 1
        if failed:
            self.flag(res, m.group(0), sent, lineno, f"{self._group_name(a)} said to have {m.group('dir').lower()} "
                      f"{what} than {self._group_name(b)}" + (f" {every.group(0).rstrip('.,;!')}" if every else ""), failed[0])

    def _side_in_part(self, g: list[str], who: tuple[set[str], dict[str, str], set[str]], part: set[str],
                      dim: Optional[str]) -> str:
        """A side's trials within one part: "sum=0.01 wn=1.2 (t001)", "Summation at λ=0.001 (2 trials)"."""
        if not dim:
            return self._group_name(who)
        if len(g) == 1:
            return self.v.who(g[0])
        return f"{self._group_name(who).rsplit(' (', 1)[0]} at {self._part_name(part, dim)} ({len(g)} trials)"

    def _the_rest(self, who: Optional[tuple[set[str], dict[str, str], set[str]]]
                  ) -> Optional[tuple[set[str], dict[str, str], set[str]]]:
        """The other side of "A had the smaller gap": the other regularized types when A names types, the
        other values of the one parameter A names; None when A names neither that way."""
        if who is None or not who[0]:
            return None
        ids, params, types = who
        if types and not params:
            rest = {t for t in self.v.ranked if self.rows[t]["exp_type"] not in types | {"No_Regularization"}}
            others = {str(self.rows[t]["exp_type"]) for t in rest}
            return (rest, {}, others) if rest else None
        if len(params) == 1 and not types and (key := next(iter(params))) != "lambda":
            rest = {t for t in self.v.ranked if t not in ids and self.shown[t].get(key) is not None}
            values = {self.shown[t][key] for t in rest}
            return (rest, {key: values.pop()} if len(values) == 1 else {}, set()) if rest else None
        return None

    def _compare_speed(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"t001 converged faster than t000", "Summation plateaued later than Multiplication": by the epoch
        at which test accuracy settled (curves.converged_epoch, the rule the epoch claims use), a trial's
        own or its group's mean over completed trials; equal epochs are a tie, and a tie is not faster."""
        m = _SPEED_CMP.search(sent)
        if not m:
            return
        flat = re.sub(r"\([^)]*\)", "", sent[:m.start()])  # "t006 (Sum, λ=0.01, lr=0.003) converged faster than t007"
        left = re.split(r"[:;,]|\bwhile\b|\bwhereas\b", flat)[-1]
        if not self.resolve(left) and TRIAL_ID.search(sent[:m.start()]):
            left = re.split(r"[:;]|\bwhile\b|\bwhereas\b", sent[:m.start()])[-1]
        right = re.split(r"[;,]|\.\s|\bwhile\b|\bwhereas\b|\bbut\b", sent[m.end():])[0]
        if m.group("dir2"):
            right = re.sub(r"\b(?:did|does|do|had|has)\b.*", "", right)  # "t001 plateaued before t000 did"
        a = self.resolve(left)
        b = self.resolve(right, None, a[2] if a else None)
        if a is None or b is None or not a[0] or not b[0] or a[0] & b[0]:
            return
        verb, direction = m.group("verb") or m.group("verb2"), m.group("dir") or m.group("dir2")
        peak = bool(re.match(r"peak|top", verb, re.I))  # "peak later": the epoch of the best test accuracy
        epoch_of = (lambda t: float(self.rows[t]["test_acc_best_epoch"]) if self.rows[t]["status"] == "completed" else None) \
            if peak else self._settled
        ea = [x for t in a[0] if (x := epoch_of(t)) is not None]
        eb = [x for t in b[0] if (x := epoch_of(t)) is not None]
        if not ea or not eb:
            return
        res.n_checked += 1
        va, vb = sum(ea) / len(ea), sum(eb) / len(eb)
        faster = bool(re.match(r"faster|earlier|sooner|quicker|more quickly|before", direction, re.I))
        if not ((va < vb) if faster else (va > vb)):
            mean = "" if len(ea) == len(eb) == 1 else "mean "
            what = "epoch of the best test accuracy" if peak else "epoch at which test accuracy settled"
            self.flag(res, m.group(0), sent, lineno,
                      f"{self._group_name(a)} said to {'peak' if peak else 'settle'} "
                      f"{direction.lower() + (' ' if m.group('dir2') else ' than ')}{self._group_name(b)}",
                      f"{mean}{what}: {self._group_name(a)} {va:g}, {self._group_name(b)} {vb:g}")

    def _edge_at(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"Summation's edge is largest at lr = 0.1", "the advantage is widest at λ = 0.0001": the difference
        between the two experiment types' mean best test accuracies, per value of the parameter named,
        is largest (or smallest) at that value. The two types are those the sentence names, else the
        sweep's own when it has exactly two; a type named alone is the side whose edge it is."""
        if not _EDGE.search(sent) or re.search(r"\bmargins?\b", sent, re.I):
            return
        named = [t for t, p in TYPE_WORDS.items() if p.search(sent)]
        swept = sorted({str(r["exp_type"]) for r in self.rows.values()})
        pair = named if len(named) == 2 else swept if len(swept) == 2 else []
        if len(pair) != 2:
            return
        if len(named) == 1 and named[0] in pair:
            pair = [named[0]] + [t for t in pair if t != named[0]]
        signed = len(named) >= 1
        for m in _EDGE_AT.finditer(sent):
            p = PARAM_ANY.match(sent, m.end())
            if not p:
                continue
            key = next(k for k, val in p.groupdict().items() if val and k != "val")
            diffs = self._diffs_by(key, pair)
            if diffs is None or len(diffs) < 2:
                continue
            want = format_param(value_of(p.group("val")))
            if want not in diffs:
                continue
            res.n_checked += 1
            vals = {k: (d if signed else abs(d)) for k, d in diffs.items()}
            high = m.group(1).lower() in ("largest", "widest", "biggest", "greatest")
            top = (max if high else min)(vals, key=lambda k: vals[k])
            if abs(vals[top] - vals[want]) > TIE:
                self.flag(res, m.group(0).strip(), sent, lineno,
                          f"the {'edge' if signed else 'difference'} of {pair[0]} over {pair[1]} said to be {m.group(1).lower()} "
                          f"at {key} = {want}",
                          "mean best test accuracy difference by " + {"lambda": "λ"}.get(key, key) + ": "
                          + ", ".join(f"{k}: {v * 100:+.2f} pp" for k, v in sorted(vals.items(), key=lambda kv: float(kv[0]))))

    def _diffs_by(self, key: str, pair: list[str]) -> Optional[dict[str, float]]:
        """{value of key: mean best of pair[0] − mean best of pair[1] among the trials at that value}."""
        def value(t: str) -> Optional[str]:
            r = self.rows[t]
            if key == "lambda":
                v = {"Summation": r["l2_sum_lambda"], "Multiplication": r["l2_mul_lambda"]}.get(str(r["exp_type"]))
            else:
                v = r.get(key)
            return None if _num(v) is None else format_param(v)
        groups: dict[str, dict[str, list[float]]] = {}
        for t in self.v.ranked:
            typ = str(self.rows[t]["exp_type"])
            if typ in pair and (val := value(t)) is not None:
                groups.setdefault(val, {}).setdefault(typ, []).append(self.best[t])
        out = {}
        for val, g in groups.items():
            if len(g) == 2:
                out[val] = sum(g[pair[0]]) / len(g[pair[0]]) - sum(g[pair[1]]) / len(g[pair[1]])
        return out or None

    def _still_climbing(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"Both λ = 0.001 runs were still climbing at the end": a trial is still climbing at the end when
        its best test accuracy came in its last two epochs (the first half of the facts' not_converged
        rule; reports call a best at epoch 24 of 25 "still improving at the end"). "all", "both", "every"
        or a plural subject: each trial meant; else one must. "still climbing at epoch 12" is not about the end."""
        m = _STILL.search(sent)
        if not m or re.search(r"\b(not|no longer|never)\s+(?:\w+\s+)?$", sent[:m.start()], re.I) \
                or re.match(r"\s*(?:at|in|by|until|through)\s+(?:epoch|the (?:first|middle))", sent[m.end():], re.I):
            return
        who = self.resolve(sent[:m.start()])
        if who is None or not who[0]:
            return
        done = [t for t in sorted(who[0]) if self.rows[t]["status"] == "completed"]
        if not done:
            return
        res.n_checked += 1
        verdict = {t: self._climbing(t) for t in done}
        head = sent[:m.start()]
        some = re.search(r"\b(several|some|a few|a couple|many|most|two|three|four)\b", head, re.I)
        every = not some and (bool(re.search(r"\b(all|both|every|each)\b", head, re.I)) or len(who[0]) == 1 or bool(
            re.search(r"\b(runs|trials|configurations)\b", head, re.I)))
        need = {"several": 2, "a few": 2, "a couple": 2, "many": 2, "two": 2, "three": 3, "four": 4}.get(
            some.group(1).lower(), 1) if some else 1
        if some and some.group(1).lower() == "most":
            need = len(done) // 2 + 1  # "most": more than half
        if (all(verdict.values()) if every else sum(verdict.values()) >= need):
            return
        bad = [t for t, ok in verdict.items() if not ok]
        self.flag(res, m.group(0), sent, lineno, f"{', '.join(self.v.who(t) for t in bad[:3])} said to be still climbing at the end",
                  "; ".join(self._climb_says(t) for t in bad[:3]))

    def _climbing(self, t: str) -> bool:
        c = self.v.curves.curve(t, "test_acc")
        if len(c) < 2:
            return False
        best_e = max(c, key=lambda ev: ev[1])[0]
        return best_e >= c[-1][0] - 1

    def _climb_says(self, t: str) -> str:
        c = self.v.curves.curve(t, "test_acc")
        best_e, best_v = max(c, key=lambda ev: ev[1])
        return f"{self.v.who(t)}: best {best_v * 100:.2f}% at epoch {best_e} of {c[-1][0]}, {c[-1][1] * 100:.2f}% at the last"

    def _varied(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        """"the runs also differed in batch size", "the learning rate was held fixed": which parameters
        the sweep varied (FactSheet.varied)."""
        if re.search(r"\b(not|no|never|didn't|did not)\b", sent, re.I) or not _VARIED_GATE.search(sent):
            return
        for rx, varied in ((_VARIED, True), (_FIXED, False)):
            m = rx.search(sent)
            if not m:
                continue
            what = m.group("what")
            key = next((k for k, x in (("lr", r"learning rates?|\blr\b"), ("batchsize", r"batch[ _]?sizes?"),
                                        ("wn", r"weight[- ]norm|\bwn\b|\bgain\b"), ("seed", r"\bseeds?\b"))
                        if re.search(x, what if varied else what[-25:], re.I)), None)
            if key is None:
                continue
            res.n_checked += 1
            if (key in self.fs.varied) != varied:
                vals = sorted({format_param(r[key]) for r in self.rows.values()})
                self.flag(res, m.group(0).strip(), sent, lineno,
                          f"{key} said to {'vary' if varied else 'be held fixed'} across the trials",
                          f"{key} in this sweep: {', '.join(vals)}")

    # -- trends ---------------------------------------------------------------------------------------------
    def _trend(self, sent: str, lineno: int, res: "VerifyResult") -> None:
        if not _TREND_GATE.search(sent):
            return  # (the trend patterns scan every position of a sentence: most sentences hold none of their words)
        m = _TREND.search(sent)
        corr = _CORR.search(sent)
        none = _NO_CORR.search(sent) or _LITTLE_REL.search(sent)
        if none or (m and re.search(r"\b(?:not|never|no)\b|n't\b", m.group("x") + " " + m.group("verb"), re.I)):
            self._no_trend(none or m, sent, lineno, res)
            return
        if corr:
            x, y, up_x, up_y = corr.group("x"), corr.group("y"), True, corr.group(1).lower() == "positive"
            phrase = corr.group(0).strip()
        elif m:
            x, y = m.group("x"), (m.group("dir2") or "") + " " + m.group("y")
            up_x = m.group(1).lower() in _UP
            inner = list(re.finditer(r"\b(higher|larger|bigger|stronger|greater|more|lower|smaller|weaker|less)\b", x, re.I))
            if inner:  # "More generally a lower final test loss goes with ...": the direction is the one next to X
                up_x, x = inner[-1].group(1).lower() in _UP, x[inner[-1].end():]
            d2 = (m.group("dir2") or "").lower()
            up_y = d2 in _UP if d2 else not re.search(r"\b(hurts?|worse\w*)\b|" + _DOWN_VERB, m.group("verb"), re.I)
            phrase = m.group(0).strip()
        elif (g := _X_GERUND.search(sent)) and not re.search(r"\b(?:improv|hurt|help|worsen)", g.group("yv"), re.I) or (
                g and re.search(r"accura|result|performance|generali[sz]", g.group("y"), re.I)):
            # "Decreasing λ improved test accuracy": a change of X and what it did to Y
            x, y, phrase = g.group("x"), g.group("y"), g.group(0).strip()
            up_x = bool(re.match(r"increas|rais|strength|grow|boost", g.group("xv"), re.I))
            up_y = not re.search(r"\b(?:hurts?|worsen\w*)\b|" + _DOWN_VERB, g.group("yv"), re.I)
            if re.search(r"improv|help|hurt|worsen", g.group("yv"), re.I):
                y += " accuracy"
        elif (a := _AS_TREND.search(sent) or _AS_LEAD.search(sent) or _THE_THE.search(sent)):
            # "the gap shrinks as λ increases", "the weaker the penalty, the better Multiplication does"
            x, y, phrase = a.group("x"), a.group("y") + " " + a.group("yv"), a.group(0).strip()
            up_x, up_y = _is_up(a.group("xv")), _is_up(a.group("yv"))
            if a.re is _THE_THE and not re.search(r"accura|gap|margin|loss|converg", y, re.I):
                y += " better"  # "the better Multiplication does": its accuracy
            if re.search(r"\b(improv|better)", a.group("yv"), re.I):
                y += " accuracy"
        else:
            return
        xkey = next((k for k, rx in _X_WORDS if re.search(rx, x, re.I)), None)
        if xkey is None:
            return
        evaluative = bool(m and not corr and re.search(r"help|hurt|improv|worse|better", m.group("verb"), re.I))
        ycol: Optional[str] = ("converged" if re.search(r"converg|faster|slower", y, re.I) else
                "train_acc_final" if re.search(r"train(?:ing)? accurac", y, re.I) else
                "train_test_gap_final" if re.search(r"\bgap|overfit", y, re.I) else
                "margin" if re.search(r"margin", y, re.I) else
                "test_acc_best" if (evaluative or re.search(r"accurac|result|performance|generali[sz]|better|worse", y, re.I))
                else None)
        if ycol is None:
            return  # "higher lr gave noisier curves": a measure this does not model
        if ycol == "converged":
            up_y = not up_y if re.search(r"faster", y, re.I) else up_y  # faster convergence: a smaller epoch
            if re.search(r"slower", y, re.I):
                up_y = True
        if xkey == ycol:
            return
        types = {t for t, p in TYPE_WORDS.items() if p.search(sent)}
        per_type = bool(re.search(r"\b(both|each|every)\b.*\b(types?|penalt\w*|regulari[sz]\w*)", sent, re.I)) or bool(types)
        verdict = self._trend_verdict(xkey, ycol, up_x == up_y, types, per_type or xkey == "lambda",
                                      bool(re.search(r"\bconsistent(?:ly)?\b|\balways\b|\bsteadily\b|\bmonotonic(?:ally)?\b", sent, re.I)
                                           or _THE_THE.search(sent)))
        if verdict is None:
            return
        res.n_checked += 1
        if verdict:
            self.flag(res, phrase, sent, lineno, "the trend stated does not hold", verdict)

    def _no_trend(self, m: re.Match[str], sent: str, lineno: int, res: "VerifyResult") -> None:
        """"Higher margins do not go with higher accuracy", "there is no clear relationship between margin
        and test accuracy": for a measured X (margin, train accuracy, gap) false when the Spearman rank
        correlation is a trend by the rule (|ρ| ≥ TREND_MIN_RHO) in either direction; for a parameter
        ("λ has no effect") it is left alone: its means always differ a little."""
        x = re.sub(r"\b(?:do|does|did|not|never|no|the|final)\b|n't", " ", m.group("x"))
        xkey = next((k for k, rx in _X_WORDS if re.search(rx, x, re.I)), None)
        y = m.group("y") if "y" in m.groupdict() else ""
        if xkey is None or xkey in _PARAM_X:
            return
        ycol = ("train_acc_final" if re.search(r"train(?:ing)? accurac", y, re.I) else
                "train_test_gap_final" if re.search(r"\bgap|overfit", y, re.I) else
                "margin" if re.search(r"margin", y, re.I) else
                "test_acc_best" if re.search(r"accurac|result|performance|generali[sz]|better|worse|rank", y, re.I) else None)
        if ycol is None or ycol == xkey:
            return
        up, down = (self._trend_verdict(xkey, ycol, sign, set(), False, False) for sign in (True, False))
        if up is None or down is None:
            return
        res.n_checked += 1
        if up == "" or down == "":
            rho = next(v for v in (down, up) if v)  # what the failing direction's verdict shows: the ρ
            self.flag(res, m.group(0).strip(), sent, lineno, "a relationship said not to exist, which the rule finds",
                      rho.replace(" (a trend needs", " (a trend is") .replace(")", ")", 1))

    def _trend_verdict(self, xkey: str, ycol: str, same_sign: bool, types: set[str], per_type: bool,
                       consistent: bool) -> Optional[str]:
        """'' when the trend holds, what the data shows when not, None when it cannot be judged."""
        def y_of(t: str) -> Optional[float]:
            if ycol == "converged":
                return None if self.rows[t]["status"] != "completed" else float(self.v.curves.converged_epoch(t) or 0)
            val = self.rows[t][ycol]
            return None if val != val else float(val)

        def x_of(t: str) -> Optional[float]:
            r = self.rows[t]
            if xkey == "lambda":
                return {"Summation": r["l2_sum_lambda"], "Multiplication": r["l2_mul_lambda"]}.get(r["exp_type"])
            try:
                val = float(r[xkey])
            except (TypeError, ValueError):
                return None  # wn = "default"
            return None if val != val else val

        pools = [[t for t in self.v.ranked if self.rows[t]["exp_type"] == typ] for typ in sorted(
            {str(self.rows[t]["exp_type"]) for t in self.v.ranked} - {"No_Regularization"})] if per_type else [self.v.ranked]
        if types:  # "Larger batches help the unregularized runs": within the types named, each on its own
            pools = [[t for t in self.v.ranked if self.rows[t]["exp_type"] == typ] for typ in sorted(types)]
        shown = []
        for pool in pools:
            pts = [(x, y) for t in pool if (x := x_of(t)) is not None and (y := y_of(t)) is not None]
            xs = sorted({x for x, _ in pts})
            if len(xs) < 2:
                continue
            if xkey in _PARAM_X:
                means = [sum(y for x, y in pts if x == v) / sum(1 for x, _ in pts if x == v) for v in xs]
                rising = means[-1] > means[0]
                ok = rising == same_sign and means[-1] != means[0]
                if consistent:
                    steps = [b > a for a, b in zip(means, means[1:])]
                    ok = ok and all(s == same_sign for s in steps)
                shown.append(", ".join(f"{format_param(v)}: {self._fmt(mv, ycol)}" for v, mv in zip(xs, means)))
            else:
                rho = _spearman([x for x, _ in pts], [y for _, y in pts])
                if rho is None:
                    continue
                ok = (rho > 0) == same_sign and abs(rho) >= TREND_MIN_RHO
                shown.append(f"Spearman ρ = {rho:+.2f} over {len(pts)} trials (a trend needs |ρ| ≥ {TREND_MIN_RHO})")
            if not ok:
                name = {"test_acc_best": "mean best test accuracy", "train_acc_final": "mean final train accuracy",
                        "train_test_gap_final": "mean final train − test gap",
                        "margin": "mean margin", "converged": "mean epoch at which test accuracy settled"}[ycol]
                label = {"lambda": "λ"}.get(xkey, xkey)
                among = f" of the {self.rows[pool[0]]['exp_type']} trials" if len(pools) > 1 or types else ""
                return f"{name}{among} by {label}: {shown[-1]}" if xkey in _PARAM_X else f"{among.strip()}: {shown[-1]}".lstrip(": ")
        return "" if shown else None

    # -- wording ---------------------------------------------------------------------------------------------
    def _pct(self, tid: str) -> str:
        return f"{self.best[tid] * 100:.2f}%"

    def _fmt(self, v: float, col: str) -> str:
        if col in ("train_test_gap_final",):
            return f"{v * 100:.2f} pp"
        if col in ("train_acc_final", "test_acc_best"):
            return f"{v * 100:.2f}%"
        if col == "converged":
            return f"epoch {v:.1f}"
        return f"{v:.4f}"

    def _group_name(self, who: tuple[set[str], dict[str, str], set[str]]) -> str:
        ids, params, types = who
        if len(ids) == 1:
            return self.v.who(next(iter(ids)))
        bits = sorted(types) + [f"{'λ' if k == 'lambda' else k}={v}" for k, v in params.items()]
        return " ".join(bits) + f" ({len(ids)} trials)" if bits else f"{len(ids)} trials"


def _spearman(xs: list[float], ys: list[float]) -> Optional[float]:
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        out = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out
    if len(xs) < 3:
        return None
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx) ** 0.5
    syy = sum((b - my) ** 2 for b in ry) ** 0.5
    return sxy / (sxx * syy) if sxx and syy else None
