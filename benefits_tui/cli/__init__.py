"""The `benefits-tui` command line: the app, the demo, and every HR action headless."""
