"""The command palette (ctrl+p): every action of the Benefits Management screen by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, action on the screen)
COMMANDS: list[tuple[str, str, str]] = [
    ("Show Not syncing", "Employees never sent to Benefits (key 1)", "show_tab('not_syncing')"),
    (
        "Show In progress",
        "Sent or queued, waiting for the platform (key 2)",
        "show_tab('in_progress')",
    ),
    ("Show Successful", "Confirmed by the platform (key 3)", "show_tab('successful')"),
    ("Show Failed", "Failed with a reason (key 4)", "show_tab('failed')"),
    ("Search", "Filter by name, email or employee number (key /)", "focus_search"),
    ("Tick / untick highlighted row", "Add or remove the highlighted employee (space)", "tick"),
    (
        "Tick all in filter",
        "Tick every row in the current filter, or untick all (key a)",
        "toggle_all",
    ),
    ("Clear ticks", "Untick every row", "clear_ticks"),
    ("Sync to Benefits", "Send the ticked employees, or the highlighted one (key s)", "sync"),
    (
        "Assign Benefits Level",
        "Set the level of the ticked employees, or the highlighted one (key b)",
        "assign_level",
    ),
    ("Open employee", "Employment Details of the highlighted employee (key e)", "edit_employee"),
    ("Add new employee", "Starter wizard or Personal Details Only (key n)", "new_employee"),
    ("Leaver", "Leaver workflow for the highlighted employee (key l)", "leaver"),
    (
        "Show history",
        "Details and sync history of the highlighted employee (enter)",
        "focus_detail",
    ),
    (
        "Drift view",
        "What differs between HR and the platform, and its repairs (key d)",
        "drift",
    ),
    ("Refresh now", "Reload counts and grids (key r)", "refresh"),
    (
        "Integration settings",
        "The platform connection and a connection test, for admins (key i)",
        "integration",
    ),
    ("Keys", "Every key of this screen (key ?)", "help"),
]


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
