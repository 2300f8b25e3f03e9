"""The base of the four section screens: `self.app` typed as the sweepdeck app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from sweepdeck.tui.app import SweepdeckApp


class SectionScreen(Screen):
    """A section of the sweepdeck app (Params, Training, Runs, Report). Screens
    reach the app's settings (runs_dir, cursor_blink), its current run (the
    reactive run_dir, which Training and Report watch) and its actions
    (start_sweep, open_run...) through `self.app`, checked by type checkers."""

    @property
    def app(self) -> "SweepdeckApp":
        return cast("SweepdeckApp", super().app)
