"""Canonical projects into INNERGY: opportunities first, BOM lines once they are projects.

INNERGY has no project-create call: a project is an opportunity that was won. So every
canonical project becomes an opportunity carrying its external id (PPak id, plus the
change order), and a project INNERGY already converted gets its BOM lines through the
engineering-sync import. The INNERGY ids go back into ``projects.jsonl`` (rewritten
atomically) and a dry run writes nothing at all.

Journal first: INNERGY may echo our identifier as ``ExternalIdentifier``, as
``ExternalId`` or not at all, so a create the journal holds as done (with its INNERGY
id) counts as existing whatever the listing shows, and is never repeated; a listing
that shows that id without our identifier is a finding, reported. Only projects neither
the journal nor the listing (matched on both names) knows are created. A BOM import
the journal holds as done with the same lines is not sent again.

A BOM import the journal holds open (its answer lost to a timeout, a 5xx or a kill) may
have landed, and INNERGY has no known way to read a BOM back: it is never resent on a
guess. The run reports it as awaiting a person (exit 3) until a person who checked the
project in INNERGY says ``--landed WRITE_ID`` (journalled done) or ``--resend WRITE_ID``
(journalled failed, and this run sends the lines once more).

Opportunities go in batches of the client's batch size. After a SIGINT / SIGTERM no new
batch or BOM import is sent: those in flight are awaited and journalled, the INNERGY ids
of what landed still go into ``projects.jsonl``, and the run ends ``interrupted`` (exit
130 / 143); running it again creates the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from canonical.errors import (
    ConfigError,
    ExitCode,
    InnergyAuthError,
    InnergyError,
    InnergyNotFound,
    InnergyValidationError,
    UsageError,
)
from canonical.models import Problem, Project, ProjectLine
from innergy_client import InnergyClient, wire
from innergy_client.client import match_opportunities
from innergy_client.mapping import bom_import, is_material_line, opportunity_body
from sheets_sync.approval.targets import BOM_TARGET, OPPORTUNITY_TARGET, PROJECT_TARGET
from sheets_sync.config import ENV_VARS, Settings
from sheets_sync.connect import existing_journal, innergy_client, open_journal, outputs
from sheets_sync.console import Outcome
from sheets_sync.interrupt import INTERRUPTED, Stop, deferred
from sheets_sync.store.files import read_jsonl, write_jsonl
from sheets_sync.store.journal import Journal, Write
from sheets_sync.store.lock import run_lock

__all__ = [
    "ImportResult",
    "OpenBom",
    "import_projects",
    "opportunity_problems",
    "required_ids",
    "run_projects_import",
]

log = logging.getLogger("matsync.projects")
DEFAULT_BOM_USER = "matsync@localhost"


def required_ids(settings: Settings, opportunities: Sequence[wire.Opportunity] = ()) -> tuple[str, str]:
    """FacilityId and BidTypeId: from configuration, or the facility every opportunity shares.

    One error names every variable still missing (the bid type cannot be discovered: an
    opportunity shows its name, not its id).
    """
    facilities = {o.facility_id for o in opportunities if o.facility_id}
    facility = settings.innergy_facility_id or (facilities.pop() if len(facilities) == 1 else None)
    bid_type = settings.innergy_bid_type_id
    missing = [
        ENV_VARS[name]
        for name, value in (("innergy_facility_id", facility), ("innergy_bid_type_id", bid_type))
        if not value
    ]
    if missing:
        raise ConfigError(
            f"set {' and '.join(missing)}: INNERGY needs the tenant's "
            f"{' and '.join(_WIRE_NAME[v] for v in missing)} GUID to create an opportunity "
            "(find them on an opportunity in INNERGY, or ask the INNERGY administrator)"
        )
    return str(facility), str(bid_type)


_WIRE_NAME = {"INNERGY_FACILITY_ID": "FacilityId", "INNERGY_BID_TYPE_ID": "BidTypeId"}


def opportunity_problems(
    project: Project,
    facility_id: str,
    bid_type_id: str,
    source: str = "projects.jsonl",
    row: int | None = None,
) -> list[Problem]:
    """What INNERGY would refuse in this project's opportunity, and what it would lose."""
    problems: list[Problem] = []
    try:
        # a name of spaces is as empty to a person as to INNERGY's "can't be empty" check
        opportunity_body(project.model_copy(update={"name": project.name.strip()}), facility_id, bid_type_id)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "body"
            spec = wire.OpportunityCreate.model_fields.get(name)
            column = (spec.alias if spec else None) or name
            problems.append(
                Problem(
                    source=source,
                    row=row,
                    column=column,
                    value=project.external_id,
                    message=f"project {project.external_id}: INNERGY needs {column}: {error['msg']}",
                )
            )
    for raw, mapped, what in (
        (project.ppak_status, project.innergy_status, "status"),
        (project.ppak_phase, project.innergy_workflow_step, "phase"),
    ):
        if raw and not mapped:
            problems.append(
                Problem(
                    source=source,
                    row=row,
                    column=what,
                    value=raw,
                    message=f"project {project.external_id}: PPak {what} {raw!r} has no INNERGY mapping",
                    severity="warning",
                )
            )
    return problems


@dataclass(frozen=True)
class OpenBom:
    """A BOM import the journal holds open: it may have landed, so a person must say."""

    write_id: str
    project: str | None
    """The canonical project's external id (``None``: not among this run's projects)."""
    innergy_project_id: str
    run_id: str
    state: str
    since: str
    why: str

    @classmethod
    def of(cls, write: Write, project: str | None) -> OpenBom:
        why = write.error or (
            "its run stopped before INNERGY's answer was journalled"
            if write.state != "unknown"
            else "INNERGY's answer was lost"
        )
        return cls(write.write_id, project, write.key, write.run_id, write.state, write.updated_at, why)

    def line(self) -> str:
        who = f"project {self.project}" if self.project else "a project not in projects.jsonl"
        return (
            f"needs a person: the BOM import of {who} (INNERGY project {self.innergy_project_id}), "
            f"write {self.write_id} of run {self.run_id}, {self.state} since {self.since}: {self.why}; "
            "it may have landed and is not sent again: check the project's BOM in INNERGY, then "
            f"`matsync projects-import --landed {self.write_id}` if it holds the lines, "
            f"or `--resend {self.write_id}` if it does not"
        )


@dataclass
class ImportResult:
    """What an import did (or, dry, would do), by external id."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    bom_lines: int = 0
    ids: dict[str, str] = field(default_factory=dict)
    """External id -> INNERGY id (the project's once converted, else the opportunity's)."""
    problems: list[Problem] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)
    """External ids whose opportunity or BOM import a stop kept from being sent."""
    open_boms: list[OpenBom] = field(default_factory=list)
    """BOM imports that may have landed, left for a person (never resent on a guess)."""


def _sendable(lines: Iterable[ProjectLine], source: str) -> tuple[list[ProjectLine], list[Problem]]:
    ok, problems = [], []
    for line in lines:
        missing = [
            n for n, v in (("sku", line.sku), ("uom", line.uom), ("quantity", line.quantity)) if v is None
        ]
        if not is_material_line(line):
            problems.append(
                Problem(
                    source=source,
                    column="line_type",
                    value=f"{line.project_id} line {line.line}",
                    message=f"BOM line {line.line} of project {line.project_id} not sent: a "
                    f"{line.line_type} line (only material lines go to INNERGY's engineering sync)",
                    severity="warning",
                )
            )
        elif missing:
            problems.append(
                Problem(
                    source=source,
                    column=", ".join(missing),
                    value=f"{line.project_id} line {line.line}",
                    message=f"BOM line {line.line} of project {line.project_id} not sent: no "
                    + " or ".join(missing),
                    severity="warning",
                )
            )
        else:
            ok.append(line)
    return ok, problems


@dataclass
class _Innergy:
    """INNERGY's opportunities and projects as listed once, and what the journal knows."""

    opportunities: list[wire.Opportunity]
    projects: list[wire.Project]
    created: dict[str, str]
    """External id -> opportunity id, of every create the journal holds as done."""

    def __post_init__(self) -> None:
        self.by_id = {o.id: o for o in self.opportunities}
        self.by_identifier = {o.identifier: o for o in self.opportunities if o.identifier}
        self.project_by_identifier = {p.identifier: p for p in self.projects if p.identifier}
        self.project_by_opportunity = {
            p.opportunity.id: p for p in self.projects if p.opportunity and p.opportunity.id
        }

    def opportunity_id(self, key: str) -> str | None:
        """The opportunity of a project: the journal's word first, then the listing's."""
        found = self.by_identifier.get(key)
        return self.created.get(key) or (found.id if found else None)

    def converted(self, key: str) -> wire.Project | None:
        """The INNERGY project an opportunity became: by our identifier, or by its opportunity."""
        opportunity = self.opportunity_id(key)
        by_opportunity = self.project_by_opportunity.get(opportunity) if opportunity else None
        return self.project_by_identifier.get(key) or by_opportunity

    def finding(self, key: str, row: int | None) -> Problem | None:
        """A journalled opportunity INNERGY lists without our identifier, or not at all."""
        opportunity_id = self.created.get(key)
        if opportunity_id is None or self.converted(key) is not None:
            return None
        listed = self.by_id.get(opportunity_id)
        if listed is not None and listed.identifier == key:
            return None
        shown = (
            "does not list it"
            if listed is None
            else f"lists it with identifier {listed.identifier!r}"
            if listed.identifier
            else "lists it without our identifier"
        )
        return Problem(
            source="INNERGY",
            row=row,
            column="ExternalIdentifier",
            value=key,
            message=f"project {key}: the journal holds opportunity {opportunity_id} as created for it, "
            f"and INNERGY {shown}; not created again, check it in INNERGY",
            severity="warning",
        )


def _read_innergy(client: InnergyClient, journal: Journal | None, settle: bool) -> _Innergy:
    """List INNERGY once; settle (``settle``) or just take into account what a crashed run
    left open, then take the journal's done creates."""
    innergy = _Innergy(client.list_opportunities(), client.list_projects(), {})
    if journal is None:
        return innergy
    known = {
        k: str(w.innergy_id) for k, w in journal.done_creates(OPPORTUNITY_TARGET).items() if w.innergy_id
    }
    pending = journal.pending_writes(OPPORTUNITY_TARGET)
    landed = _landed(pending, innergy, set(known.values()))
    for write in pending:
        found = landed.get(write.key)
        if found is not None:
            known.setdefault(write.key, found)
        if settle and found is not None:
            journal.mark_done(write.write_id, innergy_id=found, answer={"Id": found})
        elif settle:
            journal.mark_failed(write.write_id, "not found in INNERGY after an interrupted run")
    innergy.created = known
    return innergy


def _landed(pending: Sequence[Write], innergy: _Innergy, taken: set[str]) -> dict[str, str]:
    """Open opportunity writes found in INNERGY: key -> opportunity id (never resent blindly).

    By our identifier on an opportunity or a project it became; else, where INNERGY echoes
    none, by the name the write sent, on an opportunity no done create already claims.
    """
    names = {w.key: (w.payload or {}).get("Name") for w in pending}
    found = {k: o.id for k, o in match_opportunities(names, innergy.opportunities, taken).items()}
    for key in names:
        project = innergy.project_by_identifier.get(key)
        if key not in found and project is not None and project.opportunity and project.opportunity.id:
            found[key] = project.opportunity.id
    return found


def import_projects(
    projects: Sequence[Project],
    lines: Sequence[ProjectLine],
    client: InnergyClient | None,
    facility_id: str,
    bid_type_id: str,
    *,
    dry_run: bool = False,
    user_email: str = DEFAULT_BOM_USER,
    journal: Journal | None = None,
    run_id: str = "",
    rows: Sequence[int] | None = None,
    stop: Stop | None = None,
    landed: Sequence[str] = (),
    resend: Sequence[str] = (),
) -> ImportResult:
    """Create the missing opportunities, send BOM lines of converted projects; idempotent.

    ``client`` may be ``None`` for a dry run without a key: the projects are validated
    and every valid one counts as to be created (INNERGY was not asked what exists).
    The ``journal`` is read first (a dry run only reads it); a real run settles the
    writes a crashed run left open, and journals every write intended before it is sent.
    Once ``stop`` is requested nothing more is sent (``not_sent``). ``landed`` and
    ``resend`` are a person's word on open BOM imports (write ids), checked before
    anything is sent; a dry run only shows what they would do.
    """
    stop = stop or Stop()
    result = ImportResult()
    open_boms, hand_landed = _open_boms(journal, run_id, landed, resend, dry_run)
    valid: list[tuple[int, Project]] = []
    seen: set[str] = set()
    for row, project in zip(rows or range(1, len(projects) + 1), projects, strict=True):
        problems = opportunity_problems(project, facility_id, bid_type_id, row=row)
        if project.external_id in seen:
            problems.append(
                Problem(
                    source="projects.jsonl",
                    row=row,
                    column="external_id",
                    value=project.external_id,
                    message=f"project {project.external_id} appears twice; the first one is imported",
                )
            )
        result.problems += problems
        if not any(p.severity == "error" for p in problems):
            valid.append((row, project))
            seen.add(project.external_id)
    if client is None:
        result.created = [p.external_id for _, p in valid]
        return result
    innergy = _read_innergy(client, journal, settle=not dry_run)
    missing = [
        p
        for _, p in valid
        if innergy.opportunity_id(p.external_id) is None and not innergy.converted(p.external_id)
    ]
    result.existing = [p.external_id for _, p in valid if p not in missing]
    result.created = [p.external_id for p in missing]
    result.problems += [f for row, p in valid if (f := innergy.finding(p.external_id, row))]
    projects_of = {c.id: p.external_id for _, p in reversed(valid) if (c := innergy.converted(p.external_id))}
    result.open_boms = [OpenBom.of(w, projects_of.get(w.key)) for ws in open_boms.values() for w in ws]
    if dry_run:
        return result
    bodies = [(p.external_id, opportunity_body(p, facility_id, bid_type_id)) for p in missing]
    made = _journalled(
        journal, run_id, OPPORTUNITY_TARGET, bodies, client.create_opportunities, client.batch_size, stop
    )
    innergy.created.update((key, answer.id) for key, answer in made)
    result.created = [key for key, _ in made]
    result.not_sent = [key for key, _ in bodies[len(made) :]]
    by_project: dict[str, list[ProjectLine]] = {}
    sendable, problems = _sendable(lines, "project_lines.jsonl")
    result.problems += problems
    for line in sendable:
        by_project.setdefault(line.project_id, []).append(line)
    sent = {**(journal.done_creates(BOM_TARGET) if journal is not None else {}), **hand_landed}
    for _, project in valid:
        key = project.external_id
        converted = innergy.converted(key)
        if converted is not None:
            result.ids[key] = converted.id
            result.converted.append(key)
            if by_project.get(key) and converted.id not in open_boms:
                body = bom_import(converted.id, user_email, by_project[key])
                if _already_sent(sent.get(converted.id), body):
                    continue
                try:
                    sent_now = _journalled(
                        journal, run_id, BOM_TARGET, [(converted.id, body)],
                        lambda b: [client.import_bom(b[0])], 1, stop,
                    )  # fmt: skip
                except InnergyError as exc:
                    if not isinstance(exc, _REFUSED):
                        exc.hint = (
                            f"the BOM import of project {key} may have landed: the next run does not "
                            "send it again, it lists it with its write id (see PROCESS_RUNBOOK.md)"
                        )
                    raise
                if not sent_now:
                    result.not_sent.append(key)
                    continue
                result.bom_lines += len(by_project[key])
        elif (opportunity := innergy.opportunity_id(key)) is not None:
            result.ids[key] = opportunity
    return result


def _open_boms(
    journal: Journal | None, run_id: str, landed: Sequence[str], resend: Sequence[str], dry_run: bool
) -> tuple[dict[str, list[Write]], dict[str, Write]]:
    """The open BOM imports by INNERGY project id once a person's word is taken, and those
    it says landed (by project id, as ``done_creates`` has them).

    Only a person can settle one: a BOM cannot be read back, so no listing decides. Their
    word is journalled (a dry run only applies it to what it shows); an id that is not an
    open BOM import is a usage error, before anything is sent."""
    pending = journal.pending_writes(BOM_TARGET) if journal else []
    by_id = {w.write_id: w for w in pending}
    both = sorted(set(landed) & set(resend))
    if both:
        raise UsageError(f"write {', '.join(both)} cannot be both --landed and --resend")
    unknown = [w for w in (*landed, *resend) if w not in by_id]
    if unknown:
        listed = ", ".join(by_id) or "none"
        raise UsageError(
            f"write {', '.join(unknown)} is not an open BOM import (open ones: {listed})",
            hint="`matsync projects-import --dry-run` lists the open BOM imports with their write ids",
        )
    if journal is not None and not dry_run:
        for write_id in landed:
            journal.mark_done(write_id, answer={"settled": f"landed, a person said (run {run_id})"})
        for write_id in resend:
            journal.mark_failed(write_id, f"not landed, a person said (run {run_id}): sent again")
    open_boms: dict[str, list[Write]] = {}
    for write in pending:
        if write.write_id not in landed and write.write_id not in resend:
            open_boms.setdefault(write.key, []).append(write)
    return open_boms, {by_id[w].key: by_id[w] for w in landed}


def _already_sent(done: Write | None, body: wire.BomImport) -> bool:
    """The journal holds this project's BOM import as done with exactly these lines."""
    return done is not None and done.payload == wire.json_body(body)


_REFUSED = (InnergyValidationError, InnergyNotFound, InnergyAuthError)
"""Answers that prove a write did not land (a 400, a 404, a refused key)."""
W = TypeVar("W", bound=BaseModel)
A = TypeVar("A", bound=BaseModel)


def _journalled(
    journal: Journal | None,
    run_id: str,
    target: str,
    bodies: list[tuple[str, W]],
    send: Callable[[list[W]], Sequence[A]],
    batch: int,
    stop: Stop,
) -> list[tuple[str, A]]:
    """``send`` the bodies (each with its journal key) ``batch`` at a time until ``stop`` is
    requested, journalled intended before and done (with the INNERGY id answered) or
    unknown after; the keys sent, with their answers."""
    made: list[tuple[str, A]] = []
    for start in range(0, len(bodies), batch):
        if stop.requested:
            break
        keys = [key for key, _ in bodies[start : start + batch]]
        models = [body for _, body in bodies[start : start + batch]]
        if journal is None:
            made += zip(keys, send(models), strict=True)
            continue
        write_ids = [
            journal.intend(run_id, target=target, op="create", key=key, payload=wire.json_body(b))
            for key, b in zip(keys, models, strict=True)
        ]
        try:
            answers: list[A] = list(send(models))
        except _REFUSED as exc:  # INNERGY said no: nothing landed
            journal.mark_failed_many((write_id, str(exc)) for write_id in write_ids)
            raise
        except InnergyError as exc:
            for write_id in write_ids:  # a lost answer is settled by the next run, never resent blindly
                journal.mark_unknown(write_id, str(exc))
            raise
        for write_id, answer in zip(write_ids, answers, strict=True):
            journal.mark_done(
                write_id,
                innergy_id=getattr(answer, "id", None),
                answer=answer.model_dump(mode="json", by_alias=True),
            )
        made += zip(keys, answers, strict=True)
    return made


def _counts(result: ImportResult, created: str = "created") -> dict[str, int]:
    return {
        created: len(result.created),
        "existing": len(result.existing),
        "converted": len(result.converted),
        "bom_lines": result.bom_lines,
    }


def run_projects_import(
    settings: Settings,
    dry_run: bool = False,
    user_email: str = DEFAULT_BOM_USER,
    landed: Sequence[str] = (),
    resend: Sequence[str] = (),
) -> Outcome:
    """``matsync projects-import``: read the canonical files, import, record the ids (a dry
    run writes nothing, so it takes no run lock); ``landed`` / ``resend``: a person's word
    on open BOM imports."""
    if dry_run:
        return _projects_import(settings, dry_run, user_email, landed, resend)
    with run_lock(settings.output_dir, "projects-import"):
        return _projects_import(settings, dry_run, user_email, landed, resend)


def _projects_import(
    settings: Settings, dry_run: bool, user_email: str, landed: Sequence[str], resend: Sequence[str]
) -> Outcome:
    interrupted: ExitCode | None = None
    files = outputs(settings)
    projects_path = files.canonical("projects.jsonl")
    if not projects_path.is_file():
        raise ConfigError(f"no canonical projects at {projects_path}", hint="run `matsync ppak-import` first")
    projects, problems, rows = read_jsonl(projects_path, Project)
    lines_path = files.canonical("project_lines.jsonl")
    lines, line_problems, _ = read_jsonl(lines_path, ProjectLine) if lines_path.is_file() else ([], [], [])
    if dry_run and not (settings.innergy_api_key and settings.innergy_api_key.get_secret_value()):
        facility_id, bid_type_id = required_ids(settings)
        result = import_projects(projects, lines, None, facility_id, bid_type_id, dry_run=True, rows=rows)
        result.problems.append(
            Problem(source="INNERGY", message="INNERGY_API_KEY is not set: projects validated, INNERGY "
                    "not asked which exist already", severity="warning")
        )  # fmt: skip
    else:
        with innergy_client(settings) as client:
            facility_id, bid_type_id = required_ids(
                settings, () if settings.innergy_facility_id else client.list_opportunities()
            )
            if dry_run:
                with existing_journal(settings) or nullcontext() as looked:
                    result = import_projects(
                        projects, lines, client, facility_id, bid_type_id,
                        dry_run=True, journal=looked, rows=rows, landed=landed, resend=resend,
                    )  # fmt: skip
            else:
                with open_journal(settings) as journal, deferred() as stop:
                    run_id = journal.start_run("projects-import")
                    try:
                        result = import_projects(
                            projects, lines, client, facility_id, bid_type_id,
                            user_email=user_email, journal=journal, run_id=run_id, rows=rows, stop=stop,
                            landed=landed, resend=resend,
                        )  # fmt: skip
                        interrupted = stop.exit_code
                        journal.set_ids(PROJECT_TARGET, result.ids)
                        updated = [
                            p.model_copy(update={"innergy_id": result.ids.get(p.external_id, p.innergy_id)})
                            for p in projects
                        ]
                        write_jsonl(projects_path, updated)
                    except BaseException:
                        journal.finish_run(run_id, "failed")
                        raise
                    journal.finish_run(run_id, INTERRUPTED if interrupted else "ok", _counts(result))
    result.problems[:0] = problems + line_problems
    summary: dict[str, Any] = {
        "command": "projects-import",
        "outcome": INTERRUPTED if interrupted else "ok",
        "dry_run": dry_run,
        "run_id": None if dry_run else run_id,
        "projects": len(projects),
        **_counts(result, "would_create" if dry_run else "created"),
        "problems": [p.model_dump(mode="json") for p in result.problems],
        "open_bom_imports": [asdict(o) for o in result.open_boms],
    }
    verb = "would create" if dry_run else "created"
    lines_out = [
        f"{len(projects)} projects: {verb} {len(result.created)} opportunities, "
        f"{len(result.existing)} already in INNERGY ({len(result.converted)} converted to projects), "
        f"{result.bom_lines} BOM lines sent",
        *(f"{p.severity}: {p.message}" for p in result.problems),
        *(o.line() for o in result.open_boms),
    ]
    if interrupted:
        summary["not_sent"] = result.not_sent
        lines_out.insert(
            0,
            f"interrupted by {stop.signal_name}: {len(result.created)} opportunities created and recorded; "
            + (
                f"{len(result.not_sent)} projects not sent: run `matsync projects-import` again to send them"
                if result.not_sent
                else "nothing left unsent"
            ),
        )
    waiting = ExitCode.NEEDS_PERSON if result.open_boms else ExitCode.OK
    return Outcome(summary, interrupted or waiting, lines=lines_out)
