"""The row of tab titles over a thin bar that marks the active tab, drawn by one widget."""

from __future__ import annotations

from collections.abc import Mapping

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

HALF_BAR_LEFT, BAR, HALF_BAR_RIGHT = "╺", "━", "╸"  # as Textual's own tabs draw them


class TabStrip(Widget):
    """Tab titles in a row (each padded by a cell), the active one marked by the bar under it;
    a click on a title posts :class:`TabStrip.Chosen`. When the titles are wider than the
    strip, they scroll so that the active one shows.

    One widget, where Textual's ``Tabs`` builds one per tab and an animated underline: a fifth
    of the main screen's first frame (RULES §5). It never takes the focus: the keys 1-4 choose.
    """

    DEFAULT_CSS = """
    TabStrip {
        height: 2;
        & > .tab-strip--tab { color: $foreground 50%; }
        & > .tab-strip--active { color: $foreground; }
        & > .tab-strip--bar { color: $block-cursor-background; background: $foreground 10%; }
        &:ansi {
            & > .tab-strip--tab { text-style: dim; }
            & > .tab-strip--active { text-style: not dim bold; }
            & > .tab-strip--bar { background: $border-blurred; }
        }
    }
    """

    COMPONENT_CLASSES = {"tab-strip--tab", "tab-strip--active", "tab-strip--bar"}
    ALLOW_SELECT = False

    active: reactive[str] = reactive("")
    """The ID of the active tab."""
    hovered: reactive[str | None] = reactive(None)
    """The ID of the tab under the mouse pointer (drawn as the active one is)."""

    class Chosen(Message):
        """A tab's title was clicked."""

        def __init__(self, tab: str) -> None:
            self.tab = tab
            super().__init__()

    def __init__(self, titles: Mapping[str, Content], active: str, *, id: str | None = None):
        """``titles``: each tab's ID and title, in order; ``active``: the active tab's ID."""
        super().__init__(id=id)
        self._titles = dict(titles)
        self.set_reactive(TabStrip.active, active)

    def title(self, tab: str) -> Content:
        return self._titles[tab]

    def set_title(self, tab: str, title: Content) -> None:
        if self._titles[tab] != title:
            self._titles[tab] = title
            self.refresh()

    # ------------------------------------------------------------------ geometry
    def _boxes(self) -> list[tuple[str, int, int]]:
        """Each tab's ID and cells [start, end), padding included, before any scrolling."""
        boxes = []
        x = 0
        for tab, title in self._titles.items():
            width = title.cell_length + 2
            boxes.append((tab, x, x + width))
            x += width
        return boxes

    def _scroll(self, boxes: list[tuple[str, int, int]]) -> int:
        """Cells scrolled off the left so that the active tab's title ends inside the strip."""
        end = next((end for tab, _, end in boxes if tab == self.active), 0)
        return max(0, end - self.size.width)

    def tab_at(self, x: int) -> str | None:
        """The ID of the tab whose box is at column ``x`` of the strip, if any."""
        boxes = self._boxes()
        x += self._scroll(boxes)
        return next((tab for tab, start, end in boxes if start <= x < end), None)

    # ------------------------------------------------------------------ drawing
    def render(self) -> Content:
        width = self.size.width
        boxes = self._boxes()
        scroll = self._scroll(boxes)
        tab_style = self.get_visual_style("tab-strip--tab", partial=True)
        active_style = self.get_visual_style("tab-strip--active", partial=True)
        titles = Content("").join(
            Content.assemble(" ", title, " ").stylize_before(
                active_style if tab in (self.active, self.hovered) else tab_style
            )
            for tab, title in self._titles.items()
        )
        bar = self.get_visual_style("tab-strip--bar")
        lit, unlit = Style(foreground=bar.foreground), Style(foreground=bar.background)
        # Lit under the active title's text; half bars end the unlit parts beside it.
        start, end = next(((s + 1, e - 1) for tab, s, e in boxes if tab == self.active), (0, 0))
        total = width + scroll
        if end <= start:
            underline = Content.styled(BAR * total, unlit)
        else:
            underline = Content.assemble(
                (BAR * (start - 1) + HALF_BAR_RIGHT, unlit),
                (BAR * (end - start), lit),
                (HALF_BAR_LEFT + BAR * max(0, total - end - 1), unlit),
            )
        return Content("\n").join([_crop_left(titles, scroll), _crop_left(underline, scroll)])

    # ------------------------------------------------------------------ mouse
    def on_click(self, event: events.Click) -> None:
        if (tab := self.tab_at(event.x)) is not None:
            self.post_message(self.Chosen(tab))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hovered = self.tab_at(event.x) if event.y == 0 else None

    def on_leave(self, event: events.Leave) -> None:
        self.hovered = None


def _crop_left(content: Content, cells: int) -> Content:
    """``content`` without its first ``cells`` cells (a wide character cut in two goes)."""
    if cells <= 0:
        return content
    text = content.plain
    index = width = 0
    while index < len(text) and width < cells:
        width += cell_len(text[index])
        index += 1
    return content[index:]
