"""The pure parts of identity: password rules, the strictest policy, TOTP windows, sealed secrets, codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from caregate.identity import codes, totp
from caregate.identity.crypto import SecretBox, SecretBoxError, new_key_text
from caregate.identity.policy import (
    LockoutPolicy,
    PasswordPolicy,
    SecurityPolicy,
    SessionPolicy,
    networks_allow,
    password_problems,
    strictest,
)

ALL_CLASSES = PasswordPolicy(min_length=14, require_upper=True, require_lower=True, require_digit=True,
                             require_symbol=True)


@pytest.mark.parametrize(("password", "problems"), [
    ("short", ["use at least 14 characters", "include an upper-case letter", "include a digit",
               "include a symbol such as ! @ # $"]),
    ("ALLUPPERCASE-WORDS", ["include a lower-case letter", "include a digit"]),
    ("Good-Password-2026", []),
    (" Good-Password-2026", ["do not start or end with a space"]),
    ("x" * 300, ["use at most 256 characters", "include an upper-case letter", "include a digit",
                 "include a symbol such as ! @ # $"]),
])
def test_a_rejected_password_lists_every_unmet_rule(password, problems):
    assert password_problems(password, ALL_CLASSES) == problems


def test_the_strictest_policy_of_several_organisations():
    loose = SecurityPolicy(password=PasswordPolicy(min_length=10, history=2, max_age_days=0),
                           lockout=LockoutPolicy(max_failures=10, lock_minutes=5),
                           sessions=SessionPolicy(idle_minutes=60, absolute_hours=24, max_concurrent=10))
    strict = SecurityPolicy(password=PasswordPolicy(min_length=16, require_symbol=True, history=8, max_age_days=90),
                            lockout=LockoutPolicy(max_failures=3, lock_minutes=30),
                            sessions=SessionPolicy(idle_minutes=15, absolute_hours=8, max_concurrent=2,
                                                   bind_to_client="ip"), reauth_minutes=5)
    merged = strictest([loose, strict])
    assert merged.password.min_length == 16 and merged.password.require_symbol and merged.password.history == 8
    assert merged.password.max_age_days == 90
    assert (merged.lockout.max_failures, merged.lockout.lock_minutes) == (3, 30)
    assert (merged.sessions.idle_minutes, merged.sessions.absolute_hours, merged.sessions.max_concurrent) == (15, 8, 2)
    assert merged.sessions.bind_to_client == "ip" and merged.reauth_minutes == 5
    until_unlocked = SecurityPolicy(lockout=LockoutPolicy(lock_minutes=0))
    assert strictest([loose, until_unlocked]).lockout.lock_minutes == 0
    ua = SecurityPolicy(sessions=SessionPolicy(bind_to_client="user_agent"))
    assert strictest([strict, ua]).sessions.bind_to_client == "both"


@pytest.mark.parametrize(("cidrs", "address", "allowed"), [
    ([], "203.0.113.9", True),
    (["10.0.0.0/8"], "10.20.30.40", True),
    (["10.0.0.0/8"], "11.0.0.1", False),
    (["10.0.0.0/8"], "::ffff:10.1.1.1", True),
    (["2001:db8::/32"], "2001:db8:1::5", True),
    (["2001:db8::/32"], "2001:db9::5", False),
    (["2001:db8::/32", "192.0.2.0/24"], "192.0.2.200", True),
    (["192.0.2.0/24"], None, False),
])
def test_ip_allowlists_v4_and_v6(cidrs, address, allowed):
    from ipaddress import ip_address

    assert networks_allow(cidrs, ip_address(address) if address else None) is allowed


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "not-a-network", "2001:db8::/129", "10.0.0.1/8/8", ""])
def test_malformed_cidrs_are_refused(bad):
    with pytest.raises(ValidationError, match="is not a network"):
        SecurityPolicy(ip_allowlist=[bad])


NOW = datetime(2026, 11, 23, 12, 0, 15, tzinfo=UTC)


def test_totp_accepts_one_step_either_side_and_never_twice():
    secret = totp.new_secret()
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        code = totp.code_at(secret, NOW + timedelta(seconds=offset))
        assert (totp.matching_step(secret, code, NOW, last_step=None) is not None) is accepted, offset
    code = totp.code_at(secret, NOW)
    step = totp.matching_step(secret, code, NOW, last_step=None)
    assert step is not None
    assert totp.matching_step(secret, code, NOW, last_step=step) is None  # reuse refused
    earlier = totp.code_at(secret, NOW - timedelta(seconds=30))
    assert totp.matching_step(secret, earlier, NOW, last_step=step) is None  # and anything older


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "12 456", "١٢٣٤٥٦"])
def test_malformed_totp_codes_never_match(bad):
    assert totp.matching_step(totp.new_secret(), bad, NOW, last_step=None) is None


def test_the_qr_code_is_an_svg_of_the_otpauth_uri():
    uri = totp.provisioning_uri(totp.new_secret(), account="ana@example.org", issuer="caregate")
    assert uri.startswith("otpauth://totp/caregate:ana%40example.org?secret=")
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "Scan with your authenticator app" in svg


def test_sealed_secrets_open_only_with_their_key_and_context():
    box = SecretBox.from_text(new_key_text())
    sealed = box.seal("JBSWY3DPEHPK3PXP", context="totp:usr_1")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed, context="totp:usr_1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretBoxError):
        box.open(sealed, context="totp:usr_2")  # a seed moved to another account does not open
    with pytest.raises(SecretBoxError):
        SecretBox.from_text(new_key_text()).open(sealed, context="totp:usr_1")
    with pytest.raises(SecretBoxError):
        SecretBox.from_text("too-short")


def test_recovery_codes_are_ten_distinct_and_hashed():
    plain = codes.new_recovery_codes()
    assert len(set(plain)) == 10 and all(len(c) == 11 and c[5] == "-" for c in plain)
    assert codes.normal_recovery(plain[0].upper()) == plain[0].replace("-", "")
    assert codes.recovery_hash(plain[0]) != plain[0] and len(codes.recovery_hash(plain[0])) == 64
    assert codes.normal_recovery("not a code") is None
