"""Reconciliation of HR with the platform (RULES §1.16): find and repair drift.

``findings`` (the kinds and the comparison), ``engine`` (a run), ``store`` (runs and findings
in the database), ``repairs`` (re-send, link) and ``schedule`` (the worker's timer). Nothing
is imported here: `status --json` reads the last run without loading the platform client.
"""
