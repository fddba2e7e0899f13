"""The command palette (ctrl+p): every action of the Benefits Management screen by name.

The commands come from the key table (:data:`benefits_tui.app.bindings.KEYS`).
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from benefits_tui.app.bindings import COMMANDS


class BenefitsCommands(Provider):
    """Commands of the Benefits Management screen."""

    def _run(self, action: str) -> None:
        run = getattr(self.screen, "run_command", None)
        if run is not None:
            run(action)

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, action),
                    text=title,
                    help=help_text,
                )
