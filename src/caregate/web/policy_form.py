"""The security policy form: the policy as form values, form values as the policy's changes, and the
policy's refusals said with the form's own labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from caregate.identity.policy import SecurityPolicy

NUMBERS = {  # form field -> (section, key, label)
    "pw_min_length": ("password", "min_length", "Passwords: minimum length"),
    "pw_history": ("password", "history", "Passwords: passwords remembered"),
    "pw_max_age_days": ("password", "max_age_days", "Passwords: expire after (days)"),
    "lock_max_failures": ("lockout", "max_failures", "Lockout: failed attempts"),
    "lock_minutes": ("lockout", "lock_minutes", "Lockout: locked for (minutes)"),
    "idle_minutes": ("sessions", "idle_minutes", "Sessions: idle timeout (minutes)"),
    "absolute_hours": ("sessions", "absolute_hours", "Sessions: maximum length (hours)"),
    "max_concurrent": ("sessions", "max_concurrent", "Sessions: at the same time"),
    "reauth_minutes": ("", "reauth_minutes", "Confirm it is you: window (minutes)"),
    "inactivity_days": ("", "inactivity_days", "Inactivity: disable members after (days)"),
}
CHECKS = {"pw_require_upper": ("password", "require_upper"), "pw_require_lower": ("password", "require_lower"),
          "pw_require_digit": ("password", "require_digit"), "pw_require_symbol": ("password", "require_symbol"),
          "mfa_allow_email": ("mfa", "allow_email_codes")}
BINDINGS = {"none": "No binding", "ip": "The network address it started from",
            "user_agent": "The browser it started in", "both": "Both the address and the browser"}
LABELS = {f"{section}.{key}" if section else key: label for section, key, label in NUMBERS.values()} | {
    "ip_allowlist": "Organisation allowlist", "sessions.bind_to_client": "Sessions: binding",
    "mfa.required_roles": "Two-step verification: roles", "role_ip_allowlists": "Networks per role"}


def values_of(policy: SecurityPolicy) -> dict[str, Any]:
    """What the form shows for a policy (all as the browser sends them back: strings, lists, flags)."""
    data = policy.model_dump(mode="json")
    out: dict[str, Any] = {name: str(data[s][k] if s else data[k]) for name, (s, k, _) in NUMBERS.items()}
    out |= {name: bool(data[s][k]) for name, (s, k) in CHECKS.items()}
    out |= {"bind_to_client": data["sessions"]["bind_to_client"], "mfa_roles": list(data["mfa"]["required_roles"]),
            "role_idle": {r: str(m) for r, m in data["sessions"]["role_idle_minutes"].items()},
            "ip_allowlist": "\n".join(data["ip_allowlist"]),
            "role_ip": {r: "\n".join(nets) for r, nets in data["role_ip_allowlists"].items()}}
    return out


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()][:200]


def values_from(form: FormData, roles: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {name: str(form.get(name, "")).strip()[:20] for name in NUMBERS}
    out |= {name: form.get(name) == "on" for name in CHECKS}
    out |= {"bind_to_client": str(form.get("bind_to_client", "none"))[:20],
            "mfa_roles": [r for r in (str(v) for v in form.getlist("mfa_role")) if r in roles],
            "role_idle": {r: str(form.get(f"idle_{r}", "")).strip()[:20] for r in roles
                          if str(form.get(f"idle_{r}", "")).strip()},
            "ip_allowlist": str(form.get("ip_allowlist", ""))[:10_000],
            "role_ip": {r: str(form.get(f"ip_{r}", ""))[:10_000] for r in roles
                        if str(form.get(f"ip_{r}", "")).strip()}}
    return out


def _number(text: str) -> int | str:
    """A whole number, or the text as typed (the policy then says what is wrong with it)."""
    return int(text) if text.lstrip("-").isdigit() else text


def changes_from(values: Mapping[str, Any]) -> dict[str, Any]:
    """The whole policy from the form: every section is replaced by what the form shows."""
    changes: dict[str, Any] = {"password": {}, "lockout": {}, "mfa": {}, "sessions": {}}
    for name, (section, key, _) in NUMBERS.items():
        target = changes[section] if section else changes
        target[key] = _number(values[name])
    for name, (section, key) in CHECKS.items():
        changes[section][key] = bool(values[name])
    changes["mfa"]["required_roles"] = list(values["mfa_roles"])
    changes["sessions"]["bind_to_client"] = values["bind_to_client"]
    changes["sessions"]["role_idle_minutes"] = {r: _number(m) for r, m in values["role_idle"].items()}
    changes["ip_allowlist"] = _lines(values["ip_allowlist"])
    changes["role_ip_allowlists"] = {r: _lines(text) for r, text in values["role_ip"].items()}
    return changes


def readable(problem: str, labels: Mapping[str, str], *, known: Mapping[str, str] = LABELS) -> str:
    """'password.min_length: Input should be ...' -> 'Passwords: minimum length: should be ...'.

    `known`: the form's labels by setting path (the security policy's by default)."""
    where, sep, message = problem.partition(": ")
    if not sep:
        return problem
    message = message.removeprefix("Value error, ").replace("Input should be", "should be")
    parts = where.split(".")
    if where in known:
        label = known[where]
    elif parts[0] == "sessions" and len(parts) == 3 and parts[1] == "role_idle_minutes":
        label = f"Idle timeout for {labels.get(parts[2], parts[2])}"
    elif parts[0] == "role_ip_allowlists" and len(parts) == 2:
        label = f"Networks for {labels.get(parts[1], parts[1])}"
    else:
        label = where
    return f"{label}: {message}"
