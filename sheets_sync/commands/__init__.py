"""One module per verb: open the resources, call the library, build the ``Outcome``.

Commands never import each other (``routines`` combine them); the CLI imports each lazily.
"""

__all__: list[str] = []
