"""The one base of every error a user can cause or fix.

The CLI catches `SweepdeckError` in one place and prints each line of it as
`sweepdeck: …`, never a traceback, and exits with its `exit_code`: 2 for bad input
(a config, a path, a run id, a refused resume), 1 when the input was fine but the
machine was not (a full disk). Errors that are handled where they arise (an LLM
that failed, a checkpoint set aside) derive from it too, so that one that escapes
still reads as one line.

Standard library only: the TUI imports the config, which raises these.
"""

from __future__ import annotations


class SweepdeckError(Exception):
    exit_code = 2


class ConfigError(SweepdeckError, ValueError):
    """A config that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class UsageError(SweepdeckError):
    """Bad input that only the command line can tell (a device this machine lacks, a taken --run-dir)."""


def first_line(exc: BaseException, limit: int = 200, with_type: bool = False) -> str:
    """The first line of an exception's message (its class name when it has none),
    cut to `limit` characters: how a one-line error quotes the error it reports."""
    text = f"{type(exc).__name__}: {exc}" if with_type else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0][:limit]
