"""The `caregate` command: serve, demo, migrate, org create, check, audit verify|export|archive,
access-reviews open-due, members lapse.

Exit codes: 0 done (or allowed, or intact), 1 failed, 2 bad input, 3 denied by the engine, 4 not found,
5 the audit trail is broken (tampered with).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from caregate.config import Settings, get_settings

app = typer.Typer(help="caregate: access control for clinic software.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
app.add_typer(org_app, name="org")
outbox_app = typer.Typer(help="The email outbox.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
audit_app = typer.Typer(help="The audit trail: verify, export, archive.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
reviews_app = typer.Typer(help="Access reviews: open those whose start has come.", no_args_is_help=True)
app.add_typer(reviews_app, name="access-reviews")
members_app = typer.Typer(help="Members: disable those whose access has ended on its own.", no_args_is_help=True)
app.add_typer(members_app, name="members")
out = Console()
err = Console(stderr=True)

EXIT_FAILED, EXIT_INVALID, EXIT_DENIED, EXIT_NOT_FOUND, EXIT_TAMPERED = 1, 2, 3, 4, 5


def _services(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from caregate.bootstrap import build_services, configure_logging

    settings = settings or get_settings()
    configure_logging(settings)
    return build_services(settings)


def _fail(exc: Exception) -> typer.Exit:
    from caregate.service.errors import Invalid, NotFound, ServiceError

    if isinstance(exc, ServiceError):
        err.print(f"[red]error:[/red] {exc.detail}")
        for problem in getattr(exc, "problems", [])[1:]:
            err.print(f"  - {problem}")
        code = EXIT_INVALID if isinstance(exc, Invalid) else EXIT_NOT_FOUND if isinstance(exc, NotFound) \
            else EXIT_FAILED
        return typer.Exit(code)
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(EXIT_FAILED)


def _print_logins(settings: Settings) -> None:
    from caregate.service.demo import DEMO_PASSWORD, logins

    # plain lines, not a table: they must stay whole and copyable in any terminal (or none)
    out.print(f"\nDemo logins (password for all: [bold]{DEMO_PASSWORD}[/bold]):", soft_wrap=True)
    for login in logins():
        out.print(f"  {login.email:<34} {', '.join(login.roles)}", soft_wrap=True, highlight=False)
    out.print(f"\nConsole: [bold]{settings.public_url}/[/bold]   API docs: {settings.public_url}/docs", soft_wrap=True)
    out.print(f"Try: curl -s -X POST {settings.public_url}/v1/auth/login -H 'content-type: application/json' "
              f"-d '{{\"email\": \"owner@demo.caregate.test\", \"password\": \"{DEMO_PASSWORD}\"}}'",
              soft_wrap=True, highlight=False)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from caregate.store import migrate as migrations

    services = _services()
    out.print(f"database at revision {migrations.current(services.db)} ({services.db.dialect})")


@app.command()
def demo() -> None:
    """Load the demo clinic (every built-in role) and print the URL and the demo logins."""
    from caregate.service import demo as demo_data

    settings = get_settings()
    services = _services(settings)
    org = demo_data.load(services)
    out.print(f"Demo organisation [bold]{org.name}[/bold] ({org.id}) is ready.")
    _print_logins(settings)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    with_demo: Annotated[bool, typer.Option("--demo", help="Load the demo clinic first.")] = False,
) -> None:
    """Start caregate (the database from CAREGATE_DATABASE_URL, else the SQLite file; migrated on start)."""
    import uvicorn

    from caregate.api.app import create_app

    settings = get_settings()
    if settings.public_url == Settings.model_fields["public_url"].default and (host, port) != ("127.0.0.1", 8000):
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    services = _services(settings)
    if with_demo:
        from caregate.service import demo as demo_data

        org = demo_data.load(services)
        out.print(f"Demo organisation [bold]{org.name}[/bold] ({org.id}) loaded.")
        _print_logins(settings)
    out.print(f"caregate listening on http://{host}:{port} ({services.db.dialect})")
    uvicorn.run(create_app(services), host=host, port=port, log_level=settings.log_level.lower(),
                proxy_headers=False)


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Option(help="The organisation's name.")],
    owner_email: Annotated[str, typer.Option(help="Email of its first Owner (sent a link to set a password).")],
    plan: Annotated[str, typer.Option(help="free, practice or enterprise.")] = "free",
    preset: Annotated[str | None, typer.Option(help="scribe_team, small_clinic, multi_location, telehealth.")] = None,
) -> None:
    """Create an organisation and its first Owner."""
    from caregate.engine import Plan
    from caregate.service import invitations, members, orgs
    from caregate.service.errors import Invalid, ServiceError
    from caregate.store import repo
    from caregate.store.ids import new_id
    from caregate.store.tables import User

    services = _services()
    try:
        chosen_plan = Plan(plan)
    except ValueError:
        raise _fail(Invalid(f"unknown plan {plan!r}; use free, practice or enterprise")) from None
    try:
        with services.unit() as uow:
            email = members.normal_email(owner_email)
            user = repo.user_by_email(uow.session, email=email)
            if user is None:
                user = User(id=new_id("usr"), email=email, name="", kind="person", created_at=uow.now)
                uow.session.add(user)
                uow.session.flush()
            org, member = orgs.create(uow, name=name, owner=user, plan=chosen_plan, preset=preset)
            if user.password_hash is None:
                invitations.send_password_link(uow, org, member, user)
    except ServiceError as exc:
        raise _fail(exc) from None
    out.print(f"created organisation [bold]{org.name}[/bold] ({org.id}) with owner {email}")
    if user.password_hash is None:
        out.print("a link to set the owner's password was sent (see the outbox / log when no SMTP is configured)")


@outbox_app.command("send")
def outbox_send() -> None:
    """Deliver the emails waiting in the outbox now (needs CAREGATE_SMTP_URL)."""
    from caregate.service import mail

    settings = get_settings()
    if not settings.smtp_url:
        err.print("[red]error:[/red] set CAREGATE_SMTP_URL (e.g. smtp://user:pass@mail.example.org:587)")
        raise typer.Exit(EXIT_INVALID)
    out.print(f"sent {mail.deliver_pending(_services(settings), limit=500)} email(s)")


@app.command()
def check(
    member: Annotated[str, typer.Option(help="The member's email.")],
    action: Annotated[str, typer.Option(help="feature:action, e.g. sessions:read")],
    resource: Annotated[str, typer.Option(help="type:id of a stored object, e.g. sessions:ses_01...")],
    org: Annotated[str | None, typer.Option(help="Organisation id (needed if the member is in several).")] = None,
) -> None:
    """Decide one request and print the answer with its reasons (exit 0 allowed, 3 denied)."""
    from caregate.service import checks
    from caregate.service.actors import actor_for_member
    from caregate.service.errors import Invalid, NotFound, ServiceError
    from caregate.store import repo

    services = _services()
    resource_type, _, resource_id = resource.partition(":")
    try:
        with services.unit() as uow:
            user = repo.user_by_email(uow.session, email=member.strip().lower())
            memberships = repo.orgs_of_user(uow.session, user_id=user.id) if user else []
            if org:
                memberships = [(o, m) for o, m in memberships if o.id == org]
            if user is None or not memberships:
                raise NotFound(f"no member {member} {'in ' + org if org else ''}".strip())
            if len(memberships) > 1:
                raise Invalid(f"{member} is in several organisations; pass --org "
                              f"({', '.join(o.id for o, _ in memberships)})")
            org_row, membership = memberships[0]
            actor = actor_for_member(uow, org_row, membership, user)
            if not resource_id:
                raise Invalid("--resource must be type:id, e.g. sessions:ses_01...")
            decision = checks.answer(uow, actor, checks.Question(action=action, resource_type=resource_type,
                                                                 resource_id=resource_id))
    except ServiceError as exc:
        raise _fail(exc) from None
    verdict = "[green]ALLOWED[/green]" if decision.allowed else "[red]DENIED[/red]"
    out.print(f"{verdict} {member} {action} {resource}")
    for reason in decision.reasons:
        out.print(f"  {reason.kind}: {reason.message}")
    if decision.hidden_fields:
        out.print(f"  hidden fields: {', '.join(sorted(decision.hidden_fields))}")
    raise typer.Exit(0 if decision.allowed else EXIT_DENIED)


@audit_app.command("verify")
def audit_verify(
    org: Annotated[str | None, typer.Option(help="Verify this organisation's chain only.")] = None,
    archive: Annotated[Path | None, typer.Option(help="Verify an archive file (JSON Lines) and its manifest.")] = None,
) -> None:
    """Verify the hash chains (exit 0 intact, 5 broken, naming the first broken event)."""
    from caregate.audit import archive as archives
    from caregate.audit import verify as verifying

    services = _services()
    keyring = services.keyring.get()
    if archive is not None:
        report = archives.verify(archive, keyring)
        if report.intact:
            out.print(f"[green]INTACT[/green] {archive}: events {report.first_seq} to {report.last_seq} "
                      f"({report.count})")
            raise typer.Exit(0)
        err.print(f"[red]BROKEN[/red] {archive}: {report.problem}")
        raise typer.Exit(EXIT_TAMPERED)
    with services.unit(write=False) as uow:
        reports = verifying.verify_all(uow.session, keyring, org_id=org)
    if org is not None and not reports:
        raise _fail(_not_found(f"organisation {org} has no audit trail"))
    for r in reports:
        span = f"events {r.first_seq} to {r.last_seq}" if r.events else "no events"
        if r.intact:
            out.print(f"[green]INTACT[/green] {r.chain}: {span} ({r.events}), signed head at {r.head_seq}")
        else:
            err.print(f"[red]BROKEN[/red] {r.chain} at event {r.problem.seq if r.problem else '?'}: "
                      f"{r.problem.message if r.problem else ''}")
    raise typer.Exit(0 if all(r.intact for r in reports) else EXIT_TAMPERED)


def _not_found(message: str) -> Exception:
    from caregate.service.errors import NotFound

    return NotFound(message)


@audit_app.command("export")
def audit_export(
    org: Annotated[str, typer.Option(help="The organisation.")],
    format: Annotated[str, typer.Option(help="csv, jsonl or fhir (FHIR R4B AuditEvent NDJSON).")] = "jsonl",
    since: Annotated[datetime | None, typer.Option(help="From this time (UTC unless a zone is given).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Before this time.")] = None,
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
) -> None:
    """Export an organisation's events (the export is recorded in its audit trail)."""
    from caregate.service import audit_export as exporting
    from caregate.service.errors import ServiceError
    from caregate.store.audit_repo import EventFilter

    services = _services()
    filters = EventFilter(since=_utc(since), until=_utc(until))
    try:
        with services.unit() as uow:
            lines = exporting.operator_export(uow, org_id=org, filters=filters, fmt=format)
            if output is None:
                for line in lines:
                    sys.stdout.write(line)
            else:
                with output.open("w", encoding="utf-8") as handle:
                    handle.writelines(lines)
    except ServiceError as exc:
        raise _fail(exc) from None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@audit_app.command("archive")
def audit_archive(
    org: Annotated[str | None, typer.Option(help="Only this organisation (default: every chain).")] = None,
    older_than_days: Annotated[int | None, typer.Option(min=0, help="Override the retention policy.")] = None,
) -> None:
    """Archive events past their retention to files (JSON Lines + signed manifest), then remove them."""
    from caregate.service import audit_retention
    from caregate.service.errors import ServiceError

    services = _services()
    try:
        done = audit_retention.archive_all(services, org_id=org, older_than_days=older_than_days)
    except ServiceError as exc:
        raise _fail(exc) from None
    for a in done:
        if a.count:
            out.print(f"{a.chain}: archived events {a.first_seq} to {a.last_seq} ({a.count}) to {a.path}")
        else:
            out.print(f"{a.chain}: nothing past retention")


@reviews_app.command("open-due")
def access_reviews_open_due() -> None:
    """Open the scheduled access reviews whose start has come, and schedule the next of repeating ones (cron)."""
    from caregate.service import review_cycle
    from caregate.service.errors import ServiceError

    try:
        done = review_cycle.open_due(_services())
    except ServiceError as exc:
        raise _fail(exc) from None
    for org_id, counts in done.items():
        out.print(f"{org_id}: opened {counts['opened']}, completed {counts['completed']}, "
                  f"scheduled the next of {counts['scheduled']}", highlight=False)
    if not done:
        out.print("no access review is due")


@members_app.command("lapse")
def members_lapse(
    org: Annotated[str | None, typer.Option(help="Only this organisation (default: all).")] = None,
) -> None:
    """Disable the members whose temporary access ended or who went unused too long (run it from cron)."""
    from caregate.service import members
    from caregate.service.errors import ServiceError

    try:
        with _services().unit() as uow:
            done = members.lapse_all(uow, org_id=org)
    except ServiceError as exc:
        raise _fail(exc) from None
    for org_id, member_id, why in done:
        out.print(f"{org_id}: disabled {member_id}: {why}", highlight=False)
    out.print(f"{len(done)} member(s) disabled", highlight=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
