"""Runs made of several commands in order: ``nightly`` (push, then plan) and ``demo``."""

__all__: list[str] = []
