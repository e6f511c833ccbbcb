"""The INNERGY tool commands: run the sandbox, check the wire contract against a spec.

Thin wiring over ``innergy_client``: settings in, an ``Outcome`` out.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from canonical.errors import ExitCode, UsageError
from sheets_sync.config import Settings
from sheets_sync.console import Outcome

__all__ = ["check_innergy_spec", "run_sandbox"]


def run_sandbox(
    port: int,
    data: Path | None,
    api_key: str,
    faults: Mapping[str, Any],
    announce: Callable[[str], None],
    seed: int | None = None,
) -> Outcome:
    """Serve the INNERGY sandbox in the foreground until interrupted."""
    from innergy_client.sandbox import Faults, Sandbox

    knobs = Faults()
    knobs.update({k: v for k, v in faults.items() if v is not None})
    sandbox = Sandbox(api_key=api_key, data=data, port=port, faults=knobs, seed=seed)
    announce(f"INNERGY sandbox on {sandbox.url} (Api-Key: {api_key}); state in {data or 'memory'}")
    announce(f"steer faults with POST {sandbox.url}/__sandbox/faults; stop with Ctrl-C")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            sandbox.serve_forever()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return Outcome(
        {"url": sandbox.url, "data": str(data) if data else None, "stopped": True}, lines=["stopped"]
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the sandbox like Ctrl-C does


def check_innergy_spec(settings: Settings, spec: Path | None, from_innergy: bool) -> Outcome:
    """Compare the wire contract with an OpenAPI file, or with the tenant's own document."""
    from innergy_client.spec import check_spec, load_spec
    from sheets_sync.connect import innergy_client

    if (spec is None) == (not from_innergy):
        raise UsageError("give either an OpenAPI file (SPEC) or --from-innergy, not both or neither")
    if spec is not None:
        document, source = load_spec(spec), str(spec)
    else:
        with innergy_client(settings, retries=2) as client:
            client.version()  # the cheap key check: a bad key fails here, clearly
            document, source = client.openapi_document(), f"{settings.innergy_base_url} (live)"
    report = check_spec(document, source)
    return Outcome(report.to_json(), ExitCode.OK if report.ok else ExitCode.FAILED, report.lines())
