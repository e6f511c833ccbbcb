"""MIGRATION_OUTPUT_DIR: its paths, atomic files, the journal, the run lock, plan files."""

__all__: list[str] = []
