"""Rendering of plans, ETL results and health checks (sheet rows, Markdown, HTML, JSON)."""

__all__: list[str] = []
