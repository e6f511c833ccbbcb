"""PPak export readers (CSV in the encodings Excel writes, the .xlsx report) -> canonical."""

__all__: list[str] = []
