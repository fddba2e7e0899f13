"""``?``: every key of the Benefits Management screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from benefits_tui.app.bindings import KEY_HELP


class HelpScreen(ModalScreen[None]):
    """A list of keys; any of escape, ?, q or enter closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > Vertical {
            width: 80; max-width: 100%; height: auto; max-height: 100%;
            border: round $accent; background: $surface; padding: 0 1;
        }
        & VerticalScroll { height: auto; max-height: 100%; }
        & #help-footer { color: $text-muted; }
        & .help-row { height: auto; }
        & .help-text { width: 1fr; }
    }
    """

    BINDINGS = [
        Binding("escape,question_mark,q,enter", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        width = max(len(key) for key, _ in KEY_HELP) + 2
        with Vertical() as box:
            box.border_title = "Keys"
            with VerticalScroll():
                for key, text in KEY_HELP:
                    with Horizontal(classes="help-row"):
                        key_cell = Static(
                            Content.styled(key, "bold $text-accent"), classes="help-key"
                        )
                        key_cell.styles.width = width
                        yield key_cell
                        yield Static(Content(text), classes="help-text")
            yield Static(
                "Actions use the ticked rows, or the highlighted row if none is ticked.",
                id="help-footer",
            )
        # The dialog's own keys in the footer (not those of the screen beneath).
        yield Footer(compact=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
