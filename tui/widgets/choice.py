"""A one-line select for a few fixed options: Enter/Space/Right picks the next,
Left the previous. Lighter than Textual's Select (which mounts an overlay list
per instance and dominated start-up time), and needs no popup over SSH."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    DEFAULT_CSS = """
    Choice { height: 1; width: 1fr; background: $boost; }
    Choice:focus { background: $accent 40%; }
    """
    BINDINGS = [
        Binding("enter,space,right", "step(1)", "Next option", show=False),
        Binding("left", "step(-1)", "Previous option", show=False),
    ]

    value: reactive[str] = reactive("", init=False)

    class Changed(Message):
        def __init__(self, choice: "Choice", value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> "Choice":
            return self.choice

    def __init__(self, options: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = list(options)  # (shown, value)
        self.set_reactive(Choice.value, self.options[0][1] if self.options else "")

    def set_options(self, options: Sequence[tuple[str, str]]) -> None:
        self.options = list(options)
        self.refresh()

    def _index(self) -> int:
        values = [v for _, v in self.options]
        return values.index(self.value) if self.value in values else -1

    def render(self) -> Text:
        i = self._index()
        shown = self.options[i][0] if i >= 0 else self.value
        n = len(self.options)
        pos = f" ({i + 1}/{n})" if i >= 0 else ""
        return Text.assemble("< ", (shown, "bold"), " >", (pos, "dim"))

    def action_step(self, delta: int) -> None:
        if not self.options:
            return
        i = self._index()
        self.value = self.options[(i + delta) % len(self.options)][1]

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))


class Toggle(Widget, can_focus=True):
    """A boolean as text ("[x] on" / "[ ] off"), readable without colour
    (NO_COLOR), where Textual's Switch is drawn with colour alone."""

    DEFAULT_CSS = """
    Toggle { height: 1; width: 1fr; background: $boost; }
    Toggle:focus { background: $accent 40%; }
    """
    BINDINGS = [Binding("enter,space,left,right", "toggle", "Toggle", show=False)]

    value: reactive[bool] = reactive(False, init=False)

    class Changed(Message):
        def __init__(self, toggle: "Toggle", value: bool) -> None:
            super().__init__()
            self.toggle = toggle
            self.value = value

        @property
        def control(self) -> "Toggle":
            return self.toggle

    def __init__(self, value: bool = False, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(Toggle.value, value)

    def render(self) -> Text:
        return Text.assemble(("[x] " if self.value else "[ ] "), ("on" if self.value else "off", "bold"))

    def action_toggle(self) -> None:
        self.value = not self.value

    def watch_value(self, value: bool) -> None:
        self.post_message(self.Changed(self, value))
