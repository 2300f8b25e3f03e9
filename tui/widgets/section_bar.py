"""The one-line bar on top of every section: where you are and how to get elsewhere."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SECTIONS = [("params", "F2 Params"), ("training", "F3 Training"), ("runs", "F4 Runs"), ("report", "F5 Report")]


class SectionBar(Static):
    DEFAULT_CSS = """
    SectionBar { height: 1; background: $panel; }
    """

    def __init__(self, current: str, **kw) -> None:
        self.current = current
        super().__init__(self._text(), **kw)

    def _text(self) -> Text:
        text = Text(" sweepdeck ", style="bold reverse")
        for name, label in SECTIONS:
            text.append(" ")
            if name == self.current:
                text.append(f"[{label}]", style="bold underline")
            else:
                text.append(f" {label} ", style="dim")
        text.append("  F1/? keys")
        return text
