"""Smoke test of the decisions benchmark (`bench/decide.py`).

The quick run must find caregate, Cedar, casbin and the dict-lookup baseline agreeing on every request,
over a request mix that reaches every rule; and the agreement check must have teeth: a baseline with one
rule slipped is caught. `bench` lives at the repository root, beside `src/`, so it is imported from there.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
OTHERS = ("baseline", "cedarpy", "casbin")
# Every kind of outcome the engine gives on the session family; the quick mix must reach each one.
OUTCOMES = {
    "allow: a role",
    "allow: a direct share",
    "allow: team session visibility",
    "deny: not an active member",
    "deny: nothing permits it",
    "deny: forbid:cross-org",
    "deny: forbid:only-owner-deletes",
}

pytest.importorskip("cedarpy", reason="the bench extra is not installed: pip install -e '.[bench]'")
pytest.importorskip("casbin", reason="the bench extra is not installed: pip install -e '.[bench]'")


def _bench(monkeypatch: pytest.MonkeyPatch, module: str) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module(module)


def _as_string(answers: list[bool]) -> str:
    return "".join("1" if a else "0" for a in answers)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_quick_run_finds_all_four_agreeing_on_every_request(tmp_path: Path) -> None:
    summary_file = tmp_path / "summary.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.decide", "--quick", "--json", str(summary_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=110, check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    summary = json.loads(summary_file.read_text())

    assert summary["requests"] == 10_000
    assert summary["disagreements"] == dict.fromkeys(OTHERS, 0)
    assert summary["inconsistent_modes"] == {}
    assert summary["agree"] is True
    # agreement is only worth something if the mix is not all denials and reaches every rule
    assert 0.1 < summary["allowed"] / summary["requests"] < 0.5
    assert set(summary["peers"]["caregate"]["breakdown"]) == OUTCOMES
    assert summary["cross_org"] > 0
    assert all(count > 0 for count in summary["edge_cases"].values()), summary["edge_cases"]


# A plausible slip in an encoding, as (baseline attribute, wrong value): each must be caught.
SLIPS = {
    "shares honoured for every role": ("SESSION_ROLES", frozenset({
        "owner", "administrator", "clinician", "assistant", "manager", "template_manager", "front_desk",
        "billing", "inventory", "call_center"})),
    "no owner-only deletes": ("OWNER_ONLY", frozenset()),
    "visibility on every plan": ("VISIBILITY_PLANS", frozenset({"free", "practice", "enterprise"})),
    "view share lets one edit": ("SHARE_ACTIONS", {
        "view": frozenset({"sessions:read", "notes:read", "notes:copy", "sessions:edit"}),
        "edit": frozenset({"sessions:read", "notes:read", "notes:copy", "sessions:edit", "documents:create"}),
        "full": frozenset({"sessions:read", "notes:read", "notes:copy", "sessions:edit", "documents:create",
                           "sessions:share"})}),
}


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_the_agreement_check_catches_a_slipped_rule(monkeypatch: pytest.MonkeyPatch, slip: str) -> None:
    run = _bench(monkeypatch, "bench.peers.run")
    measure = _bench(monkeypatch, "bench.peers.measure")
    world_module = _bench(monkeypatch, "bench.peers.world")
    caregate = _bench(monkeypatch, "bench.peers.caregate_peer")
    baseline = _bench(monkeypatch, "bench.peers.baseline_peer")
    decide_bench = _bench(monkeypatch, "bench.decide")
    world, requests = run.load(world_module.QUICK, decide_bench.DEFAULT_SEED)
    reference = _as_string(measure.answers(caregate.prepare(world, requests)))
    assert decide_bench.disagreements({"caregate": reference,
                                       "baseline": _as_string(measure.answers(baseline.prepare(world, requests)))}
                                      ) == {"baseline": []}

    attribute, wrong = SLIPS[slip]
    monkeypatch.setattr(baseline, attribute, wrong)
    slipped = _as_string(measure.answers(baseline.prepare(world, requests)))

    assert decide_bench.disagreements({"caregate": reference, "baseline": slipped})["baseline"]


def test_the_docs_section_is_replaced_and_other_sections_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = _bench(monkeypatch, "bench.peers.report")
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n## Lookup\n\nlookup numbers\n\n{report.SECTION}\n\nold\n\n"
                   "## Audit\n\naudit numbers\n")

    report.write_docs(doc, f"{report.SECTION}\n\nnew\n\n### Results\n\nrows\n")

    text = doc.read_text()
    assert "old" not in text
    assert text.index("## Lookup") < text.index(report.SECTION) < text.index("### Results") < text.index("## Audit")
    assert "lookup numbers" in text
    assert "audit numbers" in text
