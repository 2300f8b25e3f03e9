"""Modal screens: confirmations, choices, the key list, save and load dialogs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y confirms; n, Esc or q cancel."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape,q", "answer(False)", "Cancel", show=False),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail")
            yield Static("y = yes    n = no", classes="dialog-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ChoiceScreen(ModalScreen[Optional[str]]):
    """Pick one of a few choices by its key; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str, str]], detail: str = "") -> None:
        """choices: (key, label, value)."""
        super().__init__()
        self.question = question
        self.choices = choices
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail")
            lines = "\n".join(f"{key} = {label}" for key, label, _ in self.choices)
            yield Static(lines + "\nEsc = cancel", classes="dialog-keys")

    def on_key(self, event: events.Key) -> None:
        for key, _, value in self.choices:
            if event.key == key:
                event.stop()
                self.dismiss(value)
                return

    def action_cancel(self) -> None:
        self.dismiss(None)


def key_grid(groups: list[tuple[str, list[tuple[str, str]]]]) -> Table:
    """The key list as a grid: the keys' column as wide as the widest key
    (escape/q/backspace), and a description that wraps goes on under itself,
    not at the left edge."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    for title, keys in groups:
        grid.add_row(Text(title, style="bold"), "")
        for key, desc in keys:
            grid.add_row(Text("  " + key), Text(desc))
        grid.add_row("", "")
    return grid


class HelpScreen(ModalScreen[None]):
    """Every key of every section."""

    BINDINGS = [Binding("escape,q,question_mark,f1,enter", "close", "Close")]

    def __init__(self, groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        grid = key_grid(self.groups)
        with Vertical(classes="dialog help-dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(grid, id="help-text")
            yield Static("Esc, q or ? closes this list.", classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass
class SaveRequest:
    path: str
    every_key: bool  # write the whole config, defaults filled in (default: only the user's keys)


class SaveScreen(ModalScreen[Optional[SaveRequest]]):
    """Ask for the path to save the config to, and whether with every key."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str, cursor_blink: bool = True) -> None:
        super().__init__()
        self.default = default
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the config as JSON to:", classes="dialog-title")
            yield Input(self.default, id="save-path")
            yield Checkbox("every key, defaults filled in (else only the keys you set)", id="save-every-key")
            yield Static("Enter = save    Tab, Space = every key    Esc = cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        self.dismiss(SaveRequest(path, self.query_one(Checkbox).value) if path else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LoadScreen(ModalScreen[Optional[Path]]):
    """Pick a preset from configs/ or a past run's config.json."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, items: Iterable[tuple[str, Path]]) -> None:
        super().__init__()
        self.items = list(items)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog load-dialog"):
            yield Label("Load a config (Enter loads, Esc cancels)", classes="dialog-title")
            if self.items:
                yield OptionList(*[Option(label, id=str(i)) for i, (label, _) in enumerate(self.items)], id="load-list")
            else:
                yield Static("No presets in configs/ and no past runs.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.items[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)
