"""The httpx client for INNERGY, its wire models, the import-file writer and the sandbox."""

__all__: list[str] = []
