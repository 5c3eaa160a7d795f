"""Decisions benchmark: caregate's `decide()` against Cedar (cedarpy), casbin and a dict-lookup baseline.

    .venv/bin/python -m bench.decide            # full run (100,000 requests); rewrites its docs section
    .venv/bin/python -m bench.decide --quick    # smoke run (10,000 requests); leaves the docs alone
    .venv/bin/python -m bench.decide --only caregate   # one system in this process, JSON on stdout

The parent runs each system in its own child process (so each peak RSS is that system's own), checks
that all four give the same answer on every request, explains the first disagreements, prints a table
and writes the "Decisions" section of docs/benchmarks.md. Exit status: 0 when all agree, 1 on a
disagreement (or a system contradicting itself between modes), 2 when a child failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.peers import report
from bench.peers.run import FULL_REPEATS, PEER_MODULES, load, run_peer
from bench.peers.world import ACTIONS, FULL, MAIN_ORG, QUICK, Request, Scale, World

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
PEERS = tuple(PEER_MODULES)
REFERENCE = "caregate"
DEFAULT_SEED = 20_251_124
SHOW_DISAGREEMENTS = 5


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.decide", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 requests on 5,000 sessions; no docs written")
    parser.add_argument("--only", choices=PEERS, help="run one system in this process and print its JSON report")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the clinic (requests use seed+1)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the summary as JSON to PATH")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--docs", type=Path, default=DOCS, help="the benchmarks document to update")
    return parser.parse_args(argv)


def spawn(name: str, quick: bool, seed: int) -> dict[str, Any]:
    """Run one system in a child process and read its JSON report."""
    command = [sys.executable, "-m", "bench.decide", "--only", name, "--seed", str(seed)]
    if quick:
        command.append("--quick")
    # a fixed hash seed: set iteration order (e.g. casbin's line index) is the same on every run
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{name}: the child process failed with status {done.returncode}")
    print(f"  {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def disagreements(decisions: dict[str, str], reference: str = REFERENCE) -> dict[str, list[int]]:
    """For each system, the indices of the requests where it answers differently from the reference."""
    expected = decisions[reference]
    found = {}
    for name, answers in decisions.items():
        if name == reference:
            continue
        if len(answers) != len(expected):
            raise ValueError(f"{name} answered {len(answers)} requests, {reference} {len(expected)}")
        found[name] = [i for i, (a, b) in enumerate(zip(answers, expected, strict=True)) if a != b]
    return found


def describe_request(world: World, request: Request) -> str:
    m, s = world.members[request.member], world.sessions[request.session]
    shares = ", ".join(f"{who}:{level}" for who, level in s.shares) or "none"
    return (f"member {m.id} (org {m.org}, roles {'+'.join(m.roles)}, team {m.team}, {m.status}) "
            f"-> {request.action} on session {s.id} (org {s.org}, owner {s.owner}, created by {s.created_by}, "
            f"team {s.team}, shares {shares})")


def explain(world: World, requests: list[Request], decisions: dict[str, str], wrong: dict[str, list[int]]) -> str:
    """The first disagreements in full: the request, every system's answer, and caregate's reasons."""
    from bench.peers.caregate_peer import explain as caregate_explain

    lines = []
    for i in sorted({i for found in wrong.values() for i in found})[:SHOW_DISAGREEMENTS]:
        answers = ", ".join(f"{n}={'allow' if d[i] == '1' else 'deny'}" for n, d in decisions.items())
        lines += [f"request #{i}: {describe_request(world, requests[i])}", f"  answers: {answers}",
                  f"  caregate: {caregate_explain(world, requests[i]).message}"]
    return "\n".join(lines)


def edge_cases(world: World, requests: list[Request]) -> dict[str, int]:
    """How often the request mix reaches two rules that no reason names when they deny."""
    from bench.peers.baseline_peer import SESSION_ROLES, VISIBILITY_ACTIONS

    no_role_shares = withheld = 0
    for r in requests:
        m, s = world.members[r.member], world.sessions[r.session]
        if any(who == m.id for who, _ in s.shares) and SESSION_ROLES.isdisjoint(m.roles):
            no_role_shares += 1
        org = world.orgs[m.org]
        if (m.org == s.org and m.team == s.team and r.action in VISIBILITY_ACTIONS and org.session_visibility
                and org.plan == "free" and not org.visibility_roles.isdisjoint(m.roles)):
            withheld += 1
    return {"share_without_session_role": no_role_shares, "visibility_withheld_by_plan": withheld}


def world_facts(world: World) -> dict[str, Any]:
    held = Counter(role for m in world.members for role in m.roles)
    return {
        "members": len(world.members),
        "main_members": sum(m.org == MAIN_ORG for m in world.members),
        "second_members": sum(m.org != MAIN_ORG for m in world.members),
        "roles": ", ".join(f"{n} {role}" for role, n in held.most_common())
        + f" ({sum(len(m.roles) > 1 for m in world.members)} members hold two)",
        "inactive": sum(m.status != "active" for m in world.members),
        "sessions": len(world.sessions),
        "shares": sum(len(s.shares) for s in world.sessions),
        "actions": list(ACTIONS),
    }


def summarise(
    results: dict[str, dict[str, Any]], scale: Scale, seed: int, machine: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """The run as one summary, and the explanation of any disagreement ("" when all agree)."""
    world, requests = load(scale, seed)
    decisions = {name: r.pop("decisions") for name, r in results.items()}
    wrong = disagreements(decisions)
    summary: dict[str, Any] = {
        "date": report.today(),
        "seed": seed,
        "scale": asdict(scale),
        "requests": len(requests),
        "allowed": results[REFERENCE]["allowed"],
        "cross_org": sum(world.members[r.member].org != world.sessions[r.session].org for r in requests),
        "world": world_facts(world),
        "edge_cases": edge_cases(world, requests),
        "machine": machine,
        "peers": results,
        "disagreements": {name: len(found) for name, found in wrong.items()},
        "first_disagreements": {name: found[:SHOW_DISAGREEMENTS] for name, found in wrong.items()},
        "inconsistent_modes": {n: r["inconsistent_modes"] for n, r in results.items() if r["inconsistent_modes"]},
    }
    summary["targets"] = report.targets(results)
    summary["agree"] = not any(wrong.values()) and not summary["inconsistent_modes"]
    return summary, explain(world, requests, decisions, wrong) if any(wrong.values()) else ""


def run_all(args: argparse.Namespace) -> int:
    scale = QUICK if args.quick else FULL
    print(f"bench.decide: {scale.requests:,} requests, one child process per system", file=sys.stderr)
    machine = report.machine_facts()  # before the children run, so the load average is the machine's own
    results = {name: spawn(name, args.quick, args.seed) for name in PEERS}
    summary, explanation = summarise(results, scale, args.seed, machine)
    print(report.console(summary))
    if explanation:
        print(f"\nDISAGREEMENTS {summary['disagreements']} — the first ones:\n{explanation}")
    if summary["inconsistent_modes"]:
        print(f"\nA system answered differently between its own modes: {summary['inconsistent_modes']}")
    if args.json is not None:
        data = {**summary, "targets": [asdict(t) for t in summary["targets"]]}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if not args.quick and not args.no_write:
        report.write_docs(args.docs, report.docs_section(summary))
        print(f"\nwrote the decisions section of {args.docs}", file=sys.stderr)
    return 0 if summary["agree"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.only is not None:
        # a smoke run checks agreement; repeating passes to beat timing noise would only make it slower
        repeats = 1 if args.quick else FULL_REPEATS
        print(json.dumps(run_peer(args.only, QUICK if args.quick else FULL, args.seed, repeats)))
        return 0
    return run_all(args)


if __name__ == "__main__":
    raise SystemExit(main())
