"""The ``matsync`` command line: a thin layer of commands over library calls.

Each command loads the settings, calls one library function that returns an
``Outcome``, and prints it. Heavy imports happen inside the commands so that
``matsync --help`` stays instant.

With ``--json`` every exit prints exactly one JSON object on stdout, a usage error
included: ``command``, ``ok`` (exit 0 or 3) and ``exit_code`` always, the shape
``outcome.schema.json`` in this package describes (Otto relies on it; ``skills`` names
it). The global options are accepted before or after the command and listed in every
command's help.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from typer import Abort
from typer._click.exceptions import ClickException
from typer.core import TyperGroup, TyperOption

from canonical.errors import ExitCode, Interrupted, MatsyncError
from sheets_sync.config import Settings, load_settings
from sheets_sync.console import Outcome, configure_logging, redact
from sheets_sync.interrupt import INTERRUPTED, handling_signals

__all__ = ["app", "main"]

log = logging.getLogger("matsync")

GLOBAL_PANEL = "Global options (before or after the command)"


def _help_metavars(params: list[Any]) -> list[Any]:
    """What help shows after an option: nothing for a flag (not ``<bool>``), and words where
    the type's name says nothing to a person (not ``<list[str]>``)."""
    for param in params:
        if getattr(param, "metavar", "") is None and getattr(param, "param_type_name", "") == "option":
            if param.is_flag:
                param.metavar = ""
            elif param.multiple:
                param.metavar = "TEXT ..."
    return params


class GlobalOptionsGroup(TyperGroup):
    """Accepts the global options before or after the command name."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        takes_value = {
            name: not getattr(param, "is_flag", False)
            for param in self.params
            if param.param_type_name == "option"
            for name in param.opts
        }
        front: list[str] = []
        rest: list[str] = []
        args_left = iter(args)
        for arg in args_left:
            if arg == "--":
                rest.append(arg)
                rest.extend(args_left)
                break
            name = arg.split("=", 1)[0]
            if name not in takes_value:
                rest.append(arg)
                continue
            front.append(arg)
            if takes_value[name] and "=" not in arg:
                value = next(args_left, None)
                if value is not None:
                    front.append(value)
        return super().parse_args(ctx, front + rest)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command, its help listing the global options too (parsed by the group)."""
        command = super().get_command(ctx, cmd_name)
        if command is None or getattr(command, "_matsync_globals", False):
            return command
        for param in self.params:
            if isinstance(param, TyperOption) and "--help" not in param.opts:
                shown = copy.copy(param)
                shown.expose_value, shown.rich_help_panel = False, GLOBAL_PANEL
                command.params.append(shown)
        own = command.get_params
        setattr(command, "get_params", lambda ctx: _help_metavars(own(ctx)))  # noqa: B010 (help option too)
        setattr(command, "_matsync_globals", True)  # noqa: B010 (a mark on the framework's object)
        return command

    def get_params(self, ctx: Any) -> list[Any]:
        return _help_metavars(super().get_params(ctx))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run, answering a usage error under ``--json`` with its one object too (exit 2)."""
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickException as exc:
            if not standalone_mode:
                raise
            from typer.rich_utils import rich_format_error  # 0.14 s of imports, for errors only

            rich_format_error(exc)
            if "--json" in argv:
                command = next((a for a in argv if a in self.commands), "matsync")
                error = {
                    "command": command,
                    "ok": False,
                    "exit_code": exc.exit_code,
                    "error": exc.format_message(),
                }
                typer.echo(json.dumps(error, ensure_ascii=False, sort_keys=True))
            sys.exit(exc.exit_code)
        except Abort:
            if not standalone_mode:
                raise
            typer.echo("Aborted!", err=True)
            sys.exit(int(ExitCode.FAILED))
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            with handling_signals(lambda code, message: _exit_at_once(ctx, code, message)):
                return super().invoke(ctx)
        except Interrupted as exc:  # a signal where no run was writing; runs that write exit themselves
            _fail(ctx, exc, exc.message, exc.exit_code)
        except MatsyncError as exc:
            _fail(ctx, exc, str(exc), exc.exit_code)
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in {"typer", "click"}:
                raise  # the CLI framework's own exits, aborts and usage errors
            _fail(ctx, exc, f"unexpected error: {type(exc).__name__}: {exc}", ExitCode.FAILED)


@dataclass
class State:
    json: bool = False
    verbose: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    settings: Settings | None = None

    def secrets(self) -> list[str]:
        known = self.settings.secrets() if self.settings else []
        env_key = os.environ.get("INNERGY_API_KEY", "")
        return [*known, env_key] if env_key else known


def _fail(ctx: typer.Context, exc: BaseException, message: str, code: ExitCode) -> None:
    state: State = ctx.find_root().obj or State()
    message = redact(message, state.secrets())
    if state.verbose:
        typer.echo(redact("".join(traceback.format_exception(exc)), state.secrets()), err=True)
    typer.echo(f"matsync: {message}", err=True)
    hint = redact(exc.hint, state.secrets()) if isinstance(exc, MatsyncError) and exc.hint else None
    if hint:
        typer.echo(f"matsync: hint: {hint}", err=True)
    if state.json:
        error = {"command": ctx.invoked_subcommand or ctx.info_name, "error": message}
        error |= {"outcome": INTERRUPTED} if isinstance(exc, Interrupted) else {}
        typer.echo(Outcome(error | ({"hint": hint} if hint else {}), code).render(True))
    ctx.exit(int(code))


def _exit_at_once(ctx: typer.Context, code: ExitCode, message: str) -> None:
    """A second signal ends the process now: with ``--json``, its one object first."""
    state = ctx.find_root().obj
    if isinstance(state, State) and state.json:
        error = {"command": ctx.invoked_subcommand, "outcome": INTERRUPTED, "error": message}
        os.write(1, (Outcome(error, code).render(True) + "\n").encode())


app = typer.Typer(
    cls=GlobalOptionsGroup,
    help="Carry a millwork shop from PPak to INNERGY, with a Google Sheet as the truth.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"matsync {version('matsync')}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object on stdout summarising the run.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging and full tracebacks.")
    ] = False,
    workbook: Annotated[
        str | None,
        typer.Option(help="Google Sheet URL or key, or .xlsx path (env MATERIAL_LIBRARY_MASTER)."),
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option(help="Where outputs go (env MIGRATION_OUTPUT_DIR).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    state = State(json=as_json, verbose=verbose, overrides={"workbook": workbook, "output_dir": output_dir})
    ctx.obj = state
    configure_logging(verbose, state.secrets())


def _settings(ctx: typer.Context, **overrides: Any) -> Settings:
    state: State = ctx.find_root().obj
    state.settings = load_settings({**state.overrides, **overrides})
    configure_logging(state.verbose, state.secrets())
    return state.settings


def _emit(ctx: typer.Context, outcome: Outcome) -> None:
    state: State = ctx.find_root().obj
    outcome.summary.setdefault("command", ctx.info_name)
    typer.echo(redact(outcome.render(state.json), state.secrets()))
    if outcome.exit_code:
        raise typer.Exit(int(outcome.exit_code))


DryRun = Annotated[bool, typer.Option("--dry-run", help="Report what would be written; write nothing.")]


@app.command("init-sheet")
def init_sheet(ctx: typer.Context) -> None:
    """Create or repair every contract tab: headers, checkboxes, drop-downs, frozen rows.

    Never deletes or reorders user data or user columns. An .xlsx path that does not
    exist yet is created.
    """
    from sheets_sync.commands.init_sheet import init_sheet as run

    _emit(ctx, run(_settings(ctx)))


@app.command()
def pull(ctx: typer.Context) -> None:
    """Read the master and mapping tabs, validate, write canonical files and ISSUES."""
    from sheets_sync.commands.pull import pull as run

    _emit(ctx, run(_settings(ctx)))


@app.command("ppak-import")
def ppak_import(
    ctx: typer.Context,
    export_dir: Annotated[
        Path | None, typer.Option(help="Folder of PPak export files (env PPAK_EXPORT_DIR).")
    ] = None,
) -> None:
    """PPak exports to canonical files, through the mapping tabs (skill run_ppak_export_etl)."""
    from sheets_sync.commands.ppak_import import ppak_import as run

    _emit(ctx, run(_settings(ctx, ppak_export_dir=export_dir)))


AllowMassDeactivate = Annotated[
    bool,
    typer.Option(
        "--allow-mass-deactivate",
        help="Plan even when more than 5 records and more than 10 % of the managed INNERGY "
        "records would be deactivated (without it such a plan exits 1 and plans nothing).",
    ),
]


@app.command()
def plan(
    ctx: typer.Context,
    innergy_source: Annotated[
        Path | None, typer.Option(help="Read INNERGY's library from an exported file, not the API.")
    ] = None,
    allow_mass_deactivate: AllowMassDeactivate = False,
) -> None:
    """Diff the master against INNERGY and PPak; write DIFF_INNERGY, DIFF_PPAK and a plan file.

    Exits 3 when changes await approval, 0 when there are none, 1 when the master cannot be
    read as the master or the plan would deactivate en masse (nothing is planned).
    """
    from sheets_sync.commands.plan import plan as run

    _emit(ctx, run(_settings(ctx), innergy_source, allow_mass_deactivate=allow_mass_deactivate))


@app.command()
def push(ctx: typer.Context, dry_run: DryRun = False) -> None:
    """Apply exactly the approved, still-valid rows of the current plan to INNERGY.

    Rows whose master row or INNERGY record changed since the plan are reported stale
    and left alone (exit 3). Exit 1 when any ticked row failed.
    """
    from sheets_sync.commands.push import push as run

    _emit(ctx, run(_settings(ctx), dry_run))


@app.command()
def nightly(
    ctx: typer.Context,
    lock_timeout: Annotated[float, typer.Option(help="Seconds to wait for another run's lock.")] = 60.0,
    allow_mass_deactivate: AllowMassDeactivate = False,
) -> None:
    """Lock, push what was approved, re-plan, log (skill sync_innergy_material_library)."""
    from sheets_sync.routines.nightly import nightly as run

    _emit(ctx, run(_settings(ctx), lock_timeout, allow_mass_deactivate=allow_mass_deactivate))


def _open_bom_option(flag: str, found: str) -> Any:
    """``--landed`` / ``--resend``: a person's word on an open BOM import, which no listing can give."""
    return typer.Option(
        flag,
        metavar="WRITE_ID",
        help=f"An open BOM import (its write id, as the run lists it) that a person {found}. Repeatable.",
    )


@app.command("projects-import")
def projects_import(
    ctx: typer.Context,
    dry_run: DryRun = False,
    bom_user: Annotated[
        str, typer.Option(help="LoggedInUserEmail for INNERGY's engineering-sync BOM import.")
    ] = "matsync@localhost",
    landed: Annotated[
        list[str] | None,
        _open_bom_option("--landed", "found landed in INNERGY: journalled done, never sent again"),
    ] = None,
    resend: Annotated[
        list[str] | None,
        _open_bom_option(
            "--resend",
            "found NOT landed in INNERGY: journalled failed, and this run sends its lines once more",
        ),
    ] = None,
) -> None:
    """Canonical projects to INNERGY opportunities, idempotent by PPak id.

    Skill run_innergy_project_import. Needs INNERGY_FACILITY_ID and INNERGY_BID_TYPE_ID.
    A BOM import whose answer was lost is never resent on a guess: it is listed (exit 3)
    until --landed or --resend says what a person found in INNERGY.
    """
    from sheets_sync.commands.projects_import import run_projects_import

    _emit(ctx, run_projects_import(_settings(ctx), dry_run, bom_user, landed or (), resend or ()))


@app.command()
def health(
    ctx: typer.Context,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--max",
            metavar="NAME=N",
            help="NAME=N: the largest value of a check still healthy; NAME=none reports it only. "
            "Repeatable; defaults are listed in the report.",
        ),
    ] = None,
) -> None:
    """Write the migration health report (Markdown, HTML, JSON); exit 1 when unhealthy.

    Skill migration_health_check.
    """
    from sheets_sync.commands.health import health as check

    settings = _settings(ctx)
    try:
        outcome = check(settings, limit or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max") from None
    _emit(ctx, outcome)


@app.command("export-import-file")
def export_import_file(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the .xlsx (default: under reports/).")
    ] = None,
) -> None:
    """Write INNERGY's material-import spreadsheet for the approved rows (the no-API path)."""
    from sheets_sync.commands.export_file import export_import_file as run

    _emit(ctx, run(_settings(ctx), out))


Rate = Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Share of calls, 0..1.")]


@app.command()
def sandbox(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Loopback port; 0 picks a free one.")] = 8765,
    data: Annotated[Path | None, typer.Option(help="JSON file that keeps the sandbox's state.")] = None,
    api_key: Annotated[str, typer.Option(help="The Api-Key the sandbox accepts.")] = "sandbox-key",
    failure_rate: Rate = None,
    rate_limit_rate: Rate = None,
    retry_after: Annotated[float | None, typer.Option(help="Retry-After seconds on a 429.")] = None,
    latency: Annotated[float | None, typer.Option(help="Seconds every API call waits.")] = None,
    commit_then_503_rate: Rate = None,
    seed: Annotated[int | None, typer.Option(help="Seed for repeatable random faults.")] = None,
) -> None:
    """Run the local INNERGY sandbox server on loopback, with INNERGY's traps.

    Prints its URL and the key it accepts; faults can be changed while it runs with
    POST /__sandbox/faults.
    """
    from sheets_sync.commands.innergy import run_sandbox

    state: State = ctx.find_root().obj
    faults = {
        "failure_rate": failure_rate,
        "rate_limit_rate": rate_limit_rate,
        "retry_after": retry_after,
        "latency": latency,
        "commit_then_503_rate": commit_then_503_rate,
    }
    _settings(ctx)

    def announce(line: str) -> None:
        typer.echo(line, err=state.json)

    _emit(ctx, run_sandbox(port, data, api_key, faults, announce, seed))


@app.command()
def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo (reused safely).")] = Path(
        "matsync-demo"
    ),
) -> None:
    """The whole cycle on embedded defaults: local workbook, sandbox, sample PPak exports."""
    from sheets_sync.routines.demo import run_demo

    _emit(ctx, run_demo(_settings(ctx), directory))


@app.command()
def skills(ctx: typer.Context) -> None:
    """Print the Otto skill manifest: names, commands, inputs, outputs, exit codes."""
    from sheets_sync.commands.skills import skills as manifest

    _emit(ctx, manifest())


@app.command()
def history(
    ctx: typer.Context,
    run: Annotated[str | None, typer.Option(help="Show one run's changes, before and after.")] = None,
) -> None:
    """The journal's runs, newest first; or one run in detail."""
    from sheets_sync.commands.history import history as show

    _emit(ctx, show(_settings(ctx), run))


@app.command()
def undo(
    ctx: typer.Context,
    run: Annotated[str, typer.Option(help="The run to revert.")],
    dry_run: DryRun = False,
) -> None:
    """Revert one run from its before-images; never overwrite a record changed since.

    Records changed in INNERGY since the run are listed as conflicts (exit 3).
    """
    from sheets_sync.commands.undo import undo as revert

    _emit(ctx, revert(_settings(ctx), run, dry_run))


@app.command("check-innergy-spec")
def check_innergy_spec(
    ctx: typer.Context,
    spec: Annotated[Path | None, typer.Argument(help="INNERGY's OpenAPI document (JSON or YAML).")] = None,
    from_innergy: Annotated[
        bool, typer.Option("--from-innergy", help="Fetch the document from INNERGY_BASE_URL with the key.")
    ] = False,
) -> None:
    """Compare our INNERGY wire contract with INNERGY's own OpenAPI document.

    Exit 1 when something we rely on is missing.
    """
    from sheets_sync.commands.innergy import check_innergy_spec as check

    _emit(ctx, check(_settings(ctx), spec, from_innergy))


def main() -> None:
    app(prog_name="matsync")
