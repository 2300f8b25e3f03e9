"""Fact sheet and report writing for finished sweeps.

facts.py         the fact sheet: a run folder read with pandas into named facts, and how values are written
charts.py        text charts (plotext) and PNGs (matplotlib) of the learning curves
sections.py      section titles, and the sections sweepdeck writes in every report (all trials, charts, fact check)
offline.py       the offline report's body, written from the facts by code
verdicts.py      the offline report's rules for ties, the best type and which way a parameter points
prompt.py        the LLM's prompt: templates in prompts/ filled with a compact fact sheet
placeholders.py  {{fact.name}} in the LLM's answer replaced by the fact's value, also while it streams
verify.py        the checker: every number typed in a report checked against the facts, and the claims below
context.py       what a number is about (metric, split, trial, rank...), read from the words around it
reading.py       Markdown cut into prose, bounded spans and quoted numbers (approximate, limits, ranges)
vocabulary.py    the words and number forms the checker knows
curves.py        per-epoch values of each trial, the epoch a number is pinned to, the converged/plateau rule
limits.py        values that held at some epoch, and limits and ranges checked as inequalities
claims.py        claims without numbers: ranks, comparisons, trends
explain.py       what a flag says about the data, in words, trials by label
"""
