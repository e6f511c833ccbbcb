"""``python -m sheets_sync`` as a real process, for tests and benchmarks that signal or kill it.

stdout and stderr are read by threads as they come, so a test can wait for a line on
stderr (a signal handled) while the run goes on, and the run never blocks on a full pipe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from innergy_client.sandbox import Sandbox
from tests.fakes.push_world import World

__all__ = ["ROOT", "Matsync", "env_of", "posts"]

ROOT = Path(__file__).resolve().parents[2]
_OURS = ("INNERGY_", "MATERIAL_", "MIGRATION_", "MATSYNC_")


class Matsync:
    """``python -m sheets_sync --json <args>`` (``as_json=False``: without ``--json``) in
    ``cwd`` with ``env`` (and this checkout on PYTHONPATH); none of our variables leak in
    from the caller's environment."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path, as_json: bool = True) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sheets_sync", *(["--json"] if as_json else []), *args],
            env={**clean, **env, "PYTHONPATH": str(ROOT)},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stderr: list[str] = []
        self.stdout = b""
        self._readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.decode(errors="replace"))

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        self.stdout = self.process.stdout.read()

    def said(self, text: str) -> bool:
        """Whether a line on stderr so far holds ``text``."""
        return any(text in line for line in list(self.stderr))

    def wait_until(self, seen: Callable[[], bool], what: str, timeout: float = 60) -> None:
        """Poll ``seen`` until it holds; fail if the run exits first or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not seen():
            assert self.process.poll() is None, f"exited before {what}: {''.join(self.stderr)[-2000:]}"
            assert time.monotonic() < deadline, f"never saw {what}"
            time.sleep(0.005)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish_text(self, timeout: float) -> tuple[int, str]:
        """The exit code (the run must end within ``timeout`` s) and all it printed on stdout."""
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return code, self.stdout.decode()

    def finish(self, timeout: float) -> tuple[int, dict[str, Any]]:
        """The exit code (the run must end within ``timeout`` s) and its one JSON object,
        checked against the schema Otto relies on."""
        import jsonschema

        from sheets_sync.commands.skills import outcome_schema_path

        code, text = self.finish_text(timeout)
        assert len(text.strip().splitlines()) == 1, (text, "".join(self.stderr)[-2000:])
        body = json.loads(text)
        jsonschema.validate(body, json.loads(outcome_schema_path().read_text(encoding="utf-8")))
        assert body["exit_code"] == code, body
        return code, body


def env_of(world: World) -> dict[str, str]:
    """The variables that point a run at ``world``'s workbook, output folder and sandbox."""
    return {
        "MATERIAL_LIBRARY_MASTER": str(world.settings.workbook),
        "MIGRATION_OUTPUT_DIR": str(world.settings.output_dir),
        "INNERGY_BASE_URL": world.settings.innergy_base_url,
        "INNERGY_API_KEY": world.sandbox.api_key,
    }


def posts(sandbox: Sandbox, ending: str) -> int:
    """POST requests the sandbox has received on a path ending with ``ending``."""
    return sum(method == "POST" and path.endswith(ending) for method, path in list(sandbox.requests))
