"""Every exception matsync raises on purpose, in one place.

The hierarchy, with the exit code each carries (see ``ExitCode``)::

    MatsyncError (1)
    ├── ConfigError (1)                 configuration missing, malformed or unreadable
    ├── UsageError (2)                  a command line that cannot mean anything
    ├── NotImplementedYet (1)           a contract command this build does not do yet
    ├── WorkbookError (1)               the workbook cannot be opened, read or written
    │   ├── WorkbookLocked (1)          the .xlsx is open or locked by another program
    │   ├── MissingTab (1)              a tab the command needs is absent (run init-sheet)
    │   ├── MasterTabError (1)          the master tab cannot say which materials exist
    │   │   ├── EmptyMaster (1)         no header row, or (for plan) no material row
    │   │   ├── MissingColumn (1)       a required column is not in the header
    │   │   └── DuplicateColumn (1)     a contract header appears in two columns
    │   ├── UnstorableValue (1)         a value the backend cannot hold as written (nothing written)
    │   └── SheetsApiError (1)          Google Sheets answered with an error we gave up on
    ├── InnergyError (1)                INNERGY could not be used
    │   ├── InnergyAuthError (1)        bad or missing key, or the HTML login/shell page
    │   ├── InnergyNotFound (1)         404 for an id
    │   ├── InnergyValidationError (1)  400 with INNERGY's ``Messages``
    │   ├── InnergyUnavailable (1)      retries exhausted on 429 / 5xx / timeouts
    │   └── InnergyFileError (1)        an INNERGY export / import file that cannot be read
    ├── PPakError (1)                   PPak exports could not be read at all
    ├── PlanError (1)                   no plan, or a plan file that does not fit the sheet
    │   └── MassDeactivation (1)        a plan would deactivate too many records (--allow-mass-deactivate)
    ├── SpecError (1)                   an OpenAPI document that cannot be read
    ├── JournalError (1)                the state journal is unusable, or refused a write
    └── LockHeld (4)                    another run holds the lock; nothing was done

    Interrupted (130 / 143)             SIGINT / SIGTERM where no run was writing: the command
                                        stops at once (a KeyboardInterrupt, so that no
                                        ``except Exception`` swallows it)

Every error carries its message and an optional ``hint`` (what to do next), which the CLI
prints on its own line; an ``InnergyError`` also carries the call that failed (``method``,
``path``, ``status``) and INNERGY's own ``messages``, so callers read data, not text.
Messages and hints never contain secrets: code that knows a secret redacts it before raising.
Row-level bad input is not an exception: it is a ``canonical.Problem``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

__all__ = [
    "ConfigError",
    "DuplicateColumn",
    "EmptyMaster",
    "ExitCode",
    "InnergyAuthError",
    "InnergyError",
    "InnergyFileError",
    "InnergyNotFound",
    "InnergyUnavailable",
    "InnergyValidationError",
    "Interrupted",
    "JournalError",
    "LockHeld",
    "MassDeactivation",
    "MasterTabError",
    "MatsyncError",
    "MissingColumn",
    "MissingTab",
    "NotImplementedYet",
    "PPakError",
    "PlanError",
    "SheetsApiError",
    "SpecError",
    "UnstorableValue",
    "UsageError",
    "WorkbookError",
    "WorkbookLocked",
]


class ExitCode(IntEnum):
    """The process exit codes of the user contract."""

    OK = 0
    FAILED = 1
    USAGE = 2
    NEEDS_PERSON = 3
    LOCKED = 4
    INTERRUPTED = 130
    """SIGINT (128 + 2), as shells report a Ctrl-C."""
    TERMINATED = 143
    """SIGTERM (128 + 15)."""


class MatsyncError(Exception):
    """The root of matsync's errors; ``str()`` is the message alone, without the hint."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(MatsyncError):
    pass


class UsageError(MatsyncError):
    exit_code = ExitCode.USAGE


class NotImplementedYet(MatsyncError):
    pass


class WorkbookError(MatsyncError):
    pass


class WorkbookLocked(WorkbookError):
    pass


class MissingTab(WorkbookError):
    pass


class MasterTabError(WorkbookError):
    """The master is where absence means "deactivate": a master read wrongly would retire
    materials that exist, so its layout errors stop the command instead of becoming Problems."""


class EmptyMaster(MasterTabError):
    pass


class MissingColumn(MasterTabError):
    pass


class DuplicateColumn(MasterTabError):
    pass


class SheetsApiError(WorkbookError):
    pass


class UnstorableValue(WorkbookError):
    pass


class InnergyError(MatsyncError):
    """``method``, ``path`` and ``status`` name the call when one was made (``status`` is
    ``None`` when no HTTP answer decided it); ``messages`` are INNERGY's own ``Messages``."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        messages: Iterable[str] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.path = path
        self.status = status
        self.messages: tuple[str, ...] = tuple(messages)


class InnergyAuthError(InnergyError):
    pass


class InnergyNotFound(InnergyError):
    pass


class InnergyValidationError(InnergyError):
    pass


class InnergyUnavailable(InnergyError):
    pass


class InnergyFileError(InnergyError):
    pass


class PPakError(MatsyncError):
    pass


class PlanError(MatsyncError):
    pass


class MassDeactivation(PlanError):
    """A plan that would deactivate many records at once: a lost block of master rows looks
    just like a deliberate clear-out, so only a person's flag lets it through."""


class SpecError(MatsyncError):
    pass


class JournalError(MatsyncError):
    """state.db cannot be opened or migrated, or a write was refused (a secret, a second apply)."""


class LockHeld(MatsyncError):
    exit_code = ExitCode.LOCKED


class Interrupted(KeyboardInterrupt):
    """A signal outside any run's writes: nothing is half-done there, so the command just stops.

    Inside a run that writes, the first signal is a request instead (``sheets_sync.interrupt``).
    """

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
