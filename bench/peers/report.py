"""Rendering `bench.decide`'s results: the console table, the targets, and its section of docs/benchmarks.md.

The docs file is shared with other benchmarks (lookup, audit ...): only the section under SECTION is
replaced, everything else in the file is kept as it is.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

SECTION = "## Decisions (`bench/decide.py`)"
DOC_INTRO = """# Benchmarks

How fast caregate is, measured against other ways of doing the same job. Each section below is written by
one script under `bench/`, names the command that regenerates it and the machine it ran on; rerun the
command rather than editing the numbers by hand. Other benchmarks add their own `##` section.
"""
COMMAND = ".venv/bin/python -m bench.decide"
PACKAGES = ("caregate", "cedarpy", "casbin", "simpleeval")
PEER_ORDER = ("caregate", "baseline", "cedarpy", "casbin")
PEER_LABELS = {
    "caregate": "caregate `decide()`",
    "baseline": "dict-lookup baseline",
    "cedarpy": "cedarpy (Cedar)",
    "casbin": "casbin (pycasbin)",
}


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    goal: str
    measured: str
    met: bool
    margin: float  # how far inside the goal (>1) or outside it (<1): 2.0 means twice as good as needed


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict[str, str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} logical, {usable} usable by this process",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": platform.platform(),
        "packages": ", ".join(f"{p} {_version(p)}" for p in PACKAGES),
        # other work on the machine skews timings: say how busy it was when the run started
        "load average at start": " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)",
    }


def _us(ns: float) -> str:
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1000:.2f} µs"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def _rate(per_second: float) -> str:
    return f"{per_second:,.0f}"


def targets(peers: dict[str, dict[str, Any]]) -> list[Target]:
    """The issue's targets, checked against this run."""
    cg, base = peers["caregate"], peers["baseline"]
    speed = cg["fastest"]["per_second"]
    found = []
    for name in ("cedarpy", "casbin"):
        ratio = speed / peers[name]["fastest"]["per_second"]
        found.append(Target(f"caregate vs {name}'s fastest mode", "at least 15x the decisions/s",
                            f"{ratio:,.0f}x ({_rate(speed)} vs {_rate(peers[name]['fastest']['per_second'])}/s)",
                            ratio >= 15, ratio / 15))
    cg_lat, base_lat = cg["per_request"], base["per_request"]
    p50 = cg_lat["p50_ns"] / base_lat["p50_ns"]
    # the same timing floor (clock + loop, measured with an empty call) is inside both p50s
    net = (cg_lat["p50_ns"] - cg_lat["floor_p50_ns"]) / (base_lat["p50_ns"] - base_lat["floor_p50_ns"])
    found.append(Target("caregate p50 vs baseline p50", "within 2x",
                        f"{p50:.2f}x ({_us(cg_lat['p50_ns'])} vs {_us(base_lat['p50_ns'])}); {net:.2f}x net of "
                        f"the {_us(cg_lat['floor_p50_ns'])} timing floor", p50 <= 2, 2 / p50))
    rss = cg["peak_rss_kib"] / base["peak_rss_kib"]
    found.append(Target("caregate peak RSS vs baseline peak RSS", "within 2x",
                        f"{rss:.2f}x ({_mib(cg['peak_rss_kib'])} vs {_mib(base['peak_rss_kib'])})", rss <= 2, 2 / rss))
    return found


def _agreement(name: str, summary: dict[str, Any]) -> str:
    if name == "caregate":
        return "reference"
    wrong = summary["disagreements"][name]
    return "all requests" if wrong == 0 else f"**{wrong:,} disagree**"


def results_table(summary: dict[str, Any]) -> list[str]:
    peers = summary["peers"]
    rows = ["| system | fastest mode | decisions/s | per decision | p50 | p99 | peak RSS | RSS loaded | agrees |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for name in PEER_ORDER:
        p = peers[name]
        f, lat = p["fastest"], p["per_request"]
        rows.append(f"| {PEER_LABELS[name]} | {f['name']} | {_rate(f['per_second'])} | {_us(f['ns_per_decision'])} "
                    f"| {_us(lat['p50_ns'])} | {_us(lat['p99_ns'])} | {_mib(p['peak_rss_kib'])} "
                    f"| {_mib(p['rss_loaded_kib'])} | {_agreement(name, summary)} |")
    return rows


def modes_table(summary: dict[str, Any]) -> list[str]:
    rows = ["| system | mode | decisions/s | per decision |", "|---|---|---:|---:|"]
    for name in PEER_ORDER:
        for m in summary["peers"][name]["modes"]:
            rows.append(f"| {PEER_LABELS[name]} | {m['name']} | {_rate(m['per_second'])} "
                        f"| {_us(m['ns_per_decision'])} |")
    return rows


def targets_table(found: list[Target]) -> list[str]:
    rows = ["| target | goal | measured | met? |", "|---|---|---|---|"]
    rows += [f"| {t.name} | {t.goal} | {t.measured} | {'yes' if t.met else '**no**'} |" for t in found]
    return rows


def console(summary: dict[str, Any]) -> str:
    lines = [f"{summary['requests']:,} requests, {summary['allowed']:,} allowed; "
             f"{summary['scale']['sessions']:,} sessions, seed {summary['seed']}", ""]
    lines += [*results_table(summary), "", *modes_table(summary), "", *targets_table(summary["targets"])]
    return "\n".join(lines)


def _workload(summary: dict[str, Any]) -> list[str]:
    w = summary["world"]
    breakdown = summary["peers"]["caregate"]["breakdown"]
    edges = summary["edge_cases"]
    return [
        f"- {w['members']:,} members in two organisations: the main one ({w['main_members']:,} members in "
        f"{summary['scale']['teams']} teams, practice plan, team-wide session visibility for administrators) and "
        f"a small second one ({w['second_members']} members, free plan: its visibility setting is on but the "
        "plan withholds it).",
        f"- Roles: {w['roles']}. {w['inactive']} members are not active (disabled, invited or archived).",
        f"- {w['sessions']:,} clinical sessions (owner a clinician or administrator, ~20% created by an "
        f"assistant of the team), {w['shares']:,} direct shares (view / edit / full) to other members.",
        f"- {summary['requests']:,} requests (seeded): a member, one of {len(w['actions'])} actions "
        f"({', '.join(f'`{a}`' for a in w['actions'])}), and a session or its note, transcript or document; "
        f"{summary['cross_org']:,} cross organisations. {summary['allowed']:,} "
        f"({summary['allowed'] / summary['requests']:.0%}) are allowed.",
        "- What decided them (caregate's first reason): "
        + "; ".join(f"{k} {v:,}" for k, v in breakdown.items()) + ".",
        f"- Edge rules reached: {edges['share_without_session_role']:,} requests by a member holding a share on "
        "the session but no role with session access (a Template Manager, front desk ...: the share must be "
        f"ignored); {edges['visibility_withheld_by_plan']:,} by a second-organisation administrator on a "
        "team session under a visibility setting the free plan withholds.",
    ]


def _reading(summary: dict[str, Any]) -> list[str]:
    """A few sentences reading this run's numbers; every figure in them comes from the run."""
    peers = summary["peers"]
    cg, base, cedar, casbin_ = (peers[n] for n in ("caregate", "baseline", "cedarpy", "casbin"))
    extra_ns = cg["fastest"]["ns_per_decision"] - base["fastest"]["ns_per_decision"]
    cedar_call = cedar["per_request"]["p50_ns"]
    metrics = next((n for n in cedar["notes"] if n.startswith("Cedar's own metrics")), "")
    public = max((m for m in cedar["modes"] if "(private)" not in m["name"]), key=lambda m: m["per_second"])
    store = next((n for n in cedar["notes"] if "entity store" in n), "")
    return [
        f"- caregate decides in {_us(cg['fastest']['ns_per_decision'])} on average, "
        f"{cg['fastest']['ns_per_decision'] / base['fastest']['ns_per_decision']:.1f}x the hand-written lookup: "
        f"about {extra_ns:.0f} ns per decision for what the engine does and the lookup does not (status and "
        "API-key scope checks, the forbid table, rules carrying scope, team, location and conditions, "
        "decisions that carry their reasons).",
        f"- cedarpy: one call takes {_us(cedar_call)} at p50. {metrics.rstrip('.')}; the rest is the Python "
        "binding (handing the request to Rust, the JSON result, the `AuthzResult`), which batching does not "
        f"remove. Its fastest public API mode ({public['name']}, {_rate(public['per_second'])}/s) puts "
        f"caregate at {cg['fastest']['per_second'] / public['per_second']:,.0f}x."
        + (f" Memory: {store} (caregate's whole process, clinic loaded: {_mib(cg['rss_loaded_kib'])})."
           if store else ""),
        f"- casbin: {_us(casbin_['per_request']['p50_ns'])} at p50 and {_us(casbin_['per_request']['p99_ns'])} at "
        "p99: pycasbin parses the matcher again on every call and interprets it with simpleeval once per "
        "candidate policy line, and the garbage each call leaves shows as collector pauses in the tail.",
        _stability(summary),
    ]


def _stability(summary: dict[str, Any]) -> str:
    """Which conclusions a rerun could change: a target met by a small margin is not settled by one run."""
    found: list[Target] = summary["targets"]
    close = [t.name for t in found if t.margin < 1.25]
    text = ("- Timings on a shared machine move by tens of percent between runs (the load average at start is "
            "listed above). ")
    if not close:
        return text + "Every target is met or missed by a wide margin here, so a rerun should not change a verdict."
    return text + f"Within 25% of its goal in this run: {'; '.join(close)}; one run does not settle that one."


def _notes(summary: dict[str, Any]) -> list[str]:
    lines = []
    for name in PEER_ORDER:
        p = summary["peers"][name]
        notes = "; ".join(p["notes"]) if p["notes"] else "-"
        lines.append(f"- {PEER_LABELS[name]}: built in {p['build_seconds']:.2f} s; {notes}.")
    return lines


METHOD = """- Every system runs in its own child process (`--only NAME`), which builds the same seeded clinic,
  loads it into that system and reports JSON: "peak RSS" is that process's `ru_maxrss` at the end of the
  timed runs (world, loaded data, the harness's answer lists), "RSS loaded" is its RSS once the data is
  loaded. The parent compares the decisions of all four on every request.
- Requests are translated into each system's own form before any clock starts; only the decision call
  (and reading "allowed" from its result) is timed. 2,000 warm-up calls first; garbage is collected
  before each timed section and the collector stays on inside it, as in a service (pycasbin leaves
  cyclic garbage on every call: with the collector off, its process grows by gigabytes).
- p50 / p99: each call timed on its own with `time.perf_counter_ns` (the clock's own cost included, the
  same for every system). decisions/s: the whole batch in one tight loop timed once; each mode is run up
  to 3 times (while under 10 s in all) and its fastest pass kept. Batch modes have no per-call latency;
  their p50 / p99 columns are those of the same system's per-call mode.
- Encodings of the same rules, each written by hand: `bench/peers/clinic.cedar` (Cedar policies; entities
  built in `cedar_peer.py`), `bench/peers/casbin_model.conf` + `casbin_policy.csv` (ABAC matcher, two
  custom functions), `bench/peers/baseline_peer.py` (plain dicts and sets). caregate is used through its
  public API (`compile_index` via `IndexCache`, `Subject`, `Resource` with share `Grant`s, `decide`)."""


def docs_section(summary: dict[str, Any]) -> str:
    facts = summary["machine"]
    found: list[Target] = summary["targets"]
    verdict = "All targets are met." if all(t.met for t in found) else (
        "Not met: " + "; ".join(t.name for t in found if not t.met) + ".")
    parts = [
        SECTION,
        "",
        f"Rerun from the repository root (after `pip install -e '.[bench]'`): `{COMMAND}`. It rewrites this "
        "section; `--quick` (10,000 requests, 5,000 sessions) is a smoke run that leaves this file alone.",
        "",
        f"Measured {summary['date']} on:",
        "",
        *(f"- {k}: {v}" for k, v in facts.items()),
        "",
        "### Workload",
        "",
        *_workload(summary),
        "",
        "### Results",
        "",
        *results_table(summary),
        "",
        "### Targets",
        "",
        *targets_table(found),
        "",
        verdict,
        "",
        "### What the numbers say",
        "",
        *_reading(summary),
        "",
        "### Every mode measured",
        "",
        *modes_table(summary),
        "",
        "### Notes per system",
        "",
        *_notes(summary),
        "",
        "### How it is measured",
        "",
        METHOD,
        "",
    ]
    return "\n".join(parts)


def write_docs(path: Path, section: str) -> None:
    """Replace this benchmark's section of the shared file (or add it), keeping every other section."""
    text = path.read_text() if path.exists() else DOC_INTRO
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n")


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
