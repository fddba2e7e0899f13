"""The newest schema revision, read from the migration files without importing Alembic."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")

# `revision = "0001"` / `down_revision: str | None = "0001"` at the start of a line, as Alembic
# writes them; tests/foundation/test_schema.py checks the result against Alembic's own head.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


@functools.cache
def head_revision() -> str:
    """The newest revision: the one no migration file names as its ``down_revision``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        down = ast.literal_eval(found.get("down_revision", "None"))
        parents.update((down,) if isinstance(down, str) else (down or ()))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()
