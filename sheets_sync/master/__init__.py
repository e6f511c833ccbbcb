"""The workbook contract: every tab's name and header, the master reader, ISSUES."""

__all__: list[str] = []
