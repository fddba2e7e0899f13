"""`python -m benefits_tui` runs the command line."""

from benefits_tui.cli.main import main

main()
