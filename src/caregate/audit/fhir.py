"""Events as FHIR R4B AuditEvent resources, shaped after IHE Basic Audit Log Patterns (BALP).

R4B rather than R5: BALP's profiles are written against R4, whose AuditEvent R4B keeps unchanged. Per
BALP, the person is a requestor agent carrying the purpose of use and their network address; caregate
is the observing source and the serving agent; an API key or a delegation acting for the person is a
further agent; the patient is an entity with role Patient (object-role 1); the object acted on is an
entity with role Domain Resource. Each resource is validated with fhir.resources before it is written.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent

DCM = "http://dicom.nema.org/resources/ontology/DCM"
REST = "http://terminology.hl7.org/CodeSystem/audit-event-type"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PURPOSE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
CAREGATE = "urn:caregate"

# verb -> (type system, type code, display, FHIR interaction or None, action code C/R/U/D/E)
VERBS: dict[str, tuple[str, str, str, str | None, str]] = {
    "read": (REST, "rest", "RESTful Operation", "read", "R"),
    "list": (REST, "rest", "RESTful Operation", "search-type", "E"),
    "search": (REST, "rest", "RESTful Operation", "search-type", "E"),
    "export": (DCM, "110106", "Export", None, "R"),
    "copy": (DCM, "110106", "Export", None, "R"),
    "create": (REST, "rest", "RESTful Operation", "create", "C"),
    "created": (REST, "rest", "RESTful Operation", "create", "C"),
    "invite": (REST, "rest", "RESTful Operation", "create", "C"),
    "delete": (REST, "rest", "RESTful Operation", "delete", "D"),
    "deleted": (REST, "rest", "RESTful Operation", "delete", "D"),
    "revoke": (DCM, "110136", "Security Roles Changed", None, "U"),
    "grant": (DCM, "110136", "Security Roles Changed", None, "U"),
    "share": (DCM, "110136", "Security Roles Changed", None, "U"),
    "unshare": (DCM, "110136", "Security Roles Changed", None, "U"),
    "change_role": (DCM, "110136", "Security Roles Changed", None, "U"),
}
AUTH_SUBTYPES = {"logout": ("110123", "Logout")}
PURPOSES = {"treatment": "TREAT", "payment": "HPAYMT", "operations": "HOPERAT", "emergency": "ETREAT",
            "break_glass": "ETREAT", "research": "HRESCH", "legal": "HLEGAL", "patient_request": "PATRQT",
            "public_health": "PUBHLTH", "coverage": "COVERAGE", "quality": "HQUALIMP"}
OUTCOMES = {"allowed": "0", "denied": "4"}


def _text(value: object, fallback: str = "") -> str:
    """`value` as a FHIR string: no control or odd whitespace characters (FHIR allows only space, tab, CR, LF)."""
    cleaned = "".join(c if c in " \t\r\n" or not (c.isspace() or unicodedata.category(c).startswith("C")) else " "
                      for c in str(value)).strip()
    return cleaned or fallback


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _purpose(purpose: str | None) -> list[dict[str, Any]]:
    if not purpose:
        return []
    code = PURPOSES.get(purpose.lower())
    if code is None:
        return [{"text": _text(purpose, "other")}]
    return [{"coding": [_coding(PURPOSE, code)], "text": purpose}]


def _type(action: str) -> tuple[dict[str, str], list[dict[str, str]], str]:
    feature, _, verb = action.rpartition(".")
    own = _coding(f"{CAREGATE}:audit-action", action)
    if feature == "auth":
        code, display = AUTH_SUBTYPES.get(verb, ("110122", "Login"))
        kind = "E" if verb in ("login", "login_failed", "logout", "lockout", "unlock") or verb.startswith("mfa") \
            else "U"
        return _coding(DCM, "110114", "User Authentication"), [_coding(DCM, code, display), own], kind
    if feature == "audit":
        return _coding(DCM, "110101", "Audit Log Used"), [own], "R" if verb != "archived" else "D"
    if feature == "break_glass" and verb == "declare":  # its reads, lists, end and review are ordinary events
        return _coding(DCM, "110113", "Security Alert"), [own], "E"
    system, code, display, interaction, kind = VERBS.get(verb, (REST, "rest", "RESTful Operation", "update", "U"))
    subtypes = [_coding(INTERACTION, interaction), own] if interaction else [own]
    return _coding(system, code, display), subtypes, kind


def _agents(event: dict[str, Any]) -> list[dict[str, Any]]:
    who = event.get("actor_member_id") or event.get("actor_user_id")
    person: dict[str, Any] = {
        "type": {"coding": [_coding(ROLE_TYPE, "humanuser", "human user")]},
        "who": {"identifier": {"system": f"{CAREGATE}:{'member' if event.get('actor_member_id') else 'user'}",
                               "value": who}} if who else {"display": "unknown"},
        "requestor": True,
    }
    if event.get("purpose"):
        person["purposeOfUse"] = _purpose(event["purpose"])
    if event.get("ip"):
        person["network"] = {"address": event["ip"], "type": "2"}
    agents = [person]
    if event.get("on_behalf_of"):
        kind, _, ref = _text(event["on_behalf_of"], "delegate").partition(":")
        agents.append({"type": {"text": kind or "delegate"}, "requestor": False,
                       "who": {"identifier": {"system": f"{CAREGATE}:{kind or 'delegate'}", "value": ref or kind}}})
    agents.append({"type": {"coding": [_coding(DCM, "110152", "Destination Role ID")]},
                   "who": {"display": "caregate"}, "requestor": False})
    return agents


def _entities(event: dict[str, Any], patients: list[str]) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = [
        {"what": {"reference": f"Patient/{p}"}, "type": _coding(ENTITY_TYPE, "1", "Person"),
         "role": _coding(OBJECT_ROLE, "1", "Patient")} for p in patients]
    if event.get("object_type"):
        request_id = _text(event.get("request_id") or "")
        detail = [{"type": "request_id", "valueString": request_id}] if request_id else []
        obj: dict[str, Any] = {
            "what": {"identifier": {"system": f"{CAREGATE}:{event['object_type']}",
                                    "value": _text(event.get("object_id") or "", "(list)")}},
            "type": _coding(ENTITY_TYPE, "2", "System Object"), "role": _coding(OBJECT_ROLE, "4", "Domain Resource")}
        if detail:
            obj["detail"] = detail
        entities.append(obj)
    return entities


def audit_event(event: dict[str, Any], patients: list[str]) -> dict[str, Any]:
    """The FHIR AuditEvent for one event body (validated), as a JSON-ready dict."""
    type_, subtypes, action = _type(str(event["action"]))
    reasons = "; ".join(filter(None, (_text(r.get("message", "")) for r in event.get("reasons") or [])))
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent", "id": str(event["id"]).replace("_", "-"),  # FHIR ids: [A-Za-z0-9-.]
        "type": type_, "subtype": subtypes, "action": action,
        "recorded": event["at"], "outcome": OUTCOMES.get(event.get("outcome", ""), "8"),
        "agent": _agents(event),
        "source": {"site": event.get("org_id") or "system", "observer": {"display": "caregate"},
                   "type": [_coding(SOURCE_TYPE, "4", "Application Server")]},
    }
    if reasons:
        resource["outcomeDesc"] = reasons[:1000]
    if event.get("purpose"):
        resource["purposeOfEvent"] = _purpose(event["purpose"])
    entities = _entities(event, patients)
    if entities:
        resource["entity"] = entities
    validated = FhirAuditEvent.model_validate(resource)
    out: dict[str, Any] = validated.model_dump(mode="json", exclude_none=True)
    return out
