"""What routes receive: the process's services and the caller, resolved once at the edge."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address, ip_network
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from caregate.service.actors import Actor, load_actor
from caregate.service.context import Caller, RequestInfo, Services

T = TypeVar("T")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def client_ip(request: Request, trusted: list[str]) -> str | None:
    """The peer address, or the X-Forwarded-For client when the peer is a trusted proxy."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    if not peer or not forwarded or not trusted:
        return peer
    try:
        networks = [ip_network(t, strict=False) for t in trusted]
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        current = ip_address(peer)
        # walk back from the nearest hop while the hop we came from is one of our proxies
        for hop in reversed(hops):
            if not any(current in n for n in networks if n.version == current.version):
                break
            current = ip_address(hop)
        return str(current)
    except ValueError:
        return peer


def get_caller(request: Request) -> Caller:
    services = get_services(request)
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else None
    info = RequestInfo(ip=client_ip(request, services.settings.trusted_proxies),
                       user_agent=request.headers.get("user-agent", "")[:300] or None,
                       request_id=getattr(request.state, "request_id", None))
    return Caller(token=token or None, request=info)


Svc = Annotated[Services, Depends(get_services)]
CallerDep = Annotated[Caller, Depends(get_caller)]


def run(services: Services, caller: Caller, org_id: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one use case for the caller as a member of `org_id`, in one transaction."""
    with services.unit(caller.request) as uow:
        actor: Actor = load_actor(uow, caller, org_id)
        return fn(uow, actor, **kwargs)


def run_public(services: Services, caller: Caller, fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a use case that needs no organisation (login, accepting an invitation, "me")."""
    with services.unit(caller.request) as uow:
        return fn(uow, **kwargs)


__all__ = ["CallerDep", "Svc", "run", "run_public"]
