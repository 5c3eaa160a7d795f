"""The `caregate` command: serve, demo, migrate, org create, check.

Exit codes: 0 done (or allowed), 1 failed, 2 bad input, 3 denied by the engine, 4 not found.
"""

from __future__ import annotations

import sys
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
out = Console()
err = Console(stderr=True)

EXIT_FAILED, EXIT_INVALID, EXIT_DENIED, EXIT_NOT_FOUND = 1, 2, 3, 4


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
    from caregate.service import members, orgs
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
                members.send_password_link(uow, org, member, user)
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
