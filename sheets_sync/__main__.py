"""``python -m sheets_sync``: the ``matsync`` command."""

from sheets_sync.cli import main

__all__: list[str] = []

main()
