"""`python -m storewire` runs the CLI."""

from __future__ import annotations

from storewire.cli import main

main()
