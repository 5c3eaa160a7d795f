"""IP allowlists per organisation and per role (IPv4 and IPv6), and X-Forwarded-For from trusted proxies."""

from __future__ import annotations

from identity_helpers import bearer, login, set_policy


def test_organisation_allowlist_refuses_other_networks(client_from, world):
    office = client_from("10.20.30.40")
    org_id, owner = world.org()
    owner_h = bearer(login(office, owner.email).json()["token"])
    r = office.patch(f"/v1/orgs/{org_id}/security", json={"ip_allowlist": ["192.0.2.0/24"]}, headers=owner_h)
    assert r.status_code == 422 and "lock you out" in r.json()["detail"]
    set_policy(office, org_id, owner_h, ip_allowlist=["10.0.0.0/8", "2001:db8::/32"])
    clin = world.member(org_id, roles=("clinician",))
    for ip, allowed in (("10.9.9.9", True), ("2001:db8:5::1", True), ("203.0.113.9", False), ("2001:db9::1", False)):
        c = client_from(ip)
        headers = bearer(login(c, clin.email).json()["token"])  # login itself is per person, not per org
        r = c.get(f"/v1/orgs/{org_id}/teams", headers=headers)
        assert (r.status_code == 200) is allowed, (ip, r.text)
        if not allowed:
            assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:ip-allowlist"
            assert ip in r.json()["detail"]


def test_role_allowlist_limits_only_that_role(client_from, world):
    office = client_from("10.1.1.1")
    org_id, owner = world.org()
    owner_h = bearer(login(office, owner.email).json()["token"])
    set_policy(office, org_id, owner_h, role_ip_allowlists={"administrator": ["10.0.0.0/8"]})
    lead = world.member(org_id, roles=("clinician", "administrator"))
    home = client_from("198.51.100.77")
    lead_home = bearer(login(home, lead.email).json()["token"])
    lead_office = bearer(login(office, lead.email).json()["token"])
    # administration only from the office network
    assert office.get(f"/v1/orgs/{org_id}/roles", headers=lead_office).status_code == 200
    r = home.get(f"/v1/orgs/{org_id}/roles", headers=lead_home)
    assert r.status_code == 403
    assert any("client address in 10.0.0.0/8" in x["message"] for x in r.json()["reasons"])
    # the clinician role still works from home
    session = world.session(org_id, lead.member_id)
    r = home.post(f"/v1/orgs/{org_id}/check", headers=lead_home,
                  json={"action": "sessions:read", "resource": {"type": "sessions", "id": session}})
    assert r.json()["allowed"] is True


def test_forwarded_for_is_believed_only_from_trusted_proxies(client_from, world, services):
    services.settings.trusted_proxies = ["10.255.0.0/16"]
    org_id, owner = world.org()
    proxy = client_from("10.255.0.2")
    owner_h = bearer(login(proxy, owner.email).json()["token"])
    set_policy(proxy, org_id, {**owner_h, "x-forwarded-for": "10.3.3.3"}, ip_allowlist=["10.3.0.0/16"])
    clin = world.member(org_id, roles=("clinician",))
    headers = bearer(login(proxy, clin.email).json()["token"])
    through_proxy = proxy.get(f"/v1/orgs/{org_id}/teams", headers={**headers, "x-forwarded-for": "10.3.4.5"})
    assert through_proxy.status_code == 200
    spoofed = client_from("203.0.113.1").get(f"/v1/orgs/{org_id}/teams",
                                             headers={**headers, "x-forwarded-for": "10.3.4.5"})
    assert spoofed.status_code == 403  # an untrusted peer cannot claim an address
    chained = proxy.get(f"/v1/orgs/{org_id}/teams", headers={**headers, "x-forwarded-for": "10.3.4.5, 203.0.113.9"})
    assert chained.status_code == 403  # the hop the proxy saw is 203.0.113.9


def test_malformed_networks_are_refused(client, world):
    org_id, owner = world.org()
    for bad in (["10.0.0.0/33"], ["nonsense"], ["2001:db8::/200"], "10.0.0.0/8"):
        r = client.patch(f"/v1/orgs/{org_id}/security", json={"ip_allowlist": bad}, headers=owner.headers)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
    r = client.patch(f"/v1/orgs/{org_id}/security", json={"role_ip_allowlists": {"wizard": ["10.0.0.0/8"]}},
                     headers=owner.headers)
    assert r.status_code == 422 and "unknown roles: wizard" in r.json()["detail"]
    assert client.get(f"/v1/orgs/{org_id}/security", headers=owner.headers).json()["ip_allowlist"] == []
