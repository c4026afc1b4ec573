"""Shadow mode's figures for `bench/proxy` (imported by it; not run alone).

- The budget sweep: strangler in shadow mode with `shadow.max_per_second` = B
  under saturating load (wrk, 32 connections, small JSON), legacy mode's
  throughput measured beside it round by round. The budget paces the copies,
  so each B is an offered rate of comparisons: the proxy's own counters say
  how many were compared a second and how many were dropped and why. At the
  default budget it shows whether the budget holds (at least 0.9 x B
  compared while the clients saturate the core); the largest B with no drop
  is the comparisons per second before the first drop.
- Pruning a million results (`tests/shadow_prune.rs`, on SQLite and
  PostgreSQL): the process's RSS and the SQLite files before and after.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The callgrind label of shadow mode with every request copied and compared.
COMPARED = "shadow, every copy compared"
# The embedded default of `shadow.max_per_second`.
DEFAULT_BUDGET = 100
BUDGETS = [DEFAULT_BUDGET, 2_500, 5_000, 10_000, 15_000, 20_000, 30_000]
QUICK_BUDGETS = [DEFAULT_BUDGET, 5_000, 15_000]
# The drops that mean the shadow stage could not keep up (over_budget is by design).
FAILURES = ("queue_full", "candidate_error", "primary_incomplete")
SWEEP_PATH = "/small"
SWEEP_CONNECTIONS = 32


def counts(admin_port: int) -> dict[str, float]:
    """The shadow counters of the catalog route, from `/metrics`:
    `copies`, `compared`, and each drop reason."""
    conn = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    out: dict[str, float] = {"copies": 0.0, "compared": 0.0}
    for line in text.splitlines():
        match = re.match(r"(strangler_shadow_\w+_total)\{([^}]*)\}\s+(\S+)", line)
        if not match or 'route="catalog"' not in match.group(2):
            continue
        name, labels, value = match.group(1), match.group(2), float(match.group(3))
        if name == "strangler_shadow_copies_total":
            out["copies"] += value
        elif name == "strangler_shadow_comparisons_total":
            out["compared"] += value
        elif name == "strangler_shadow_dropped_total":
            reason = re.search(r'reason="(\w+)"', labels)
            if reason:
                out[reason.group(1)] = out.get(reason.group(1), 0.0) + value
    return out


def wait_compared(admin_port: int, count: int, timeout: float) -> None:
    """Waits until `count` copies were compared (under callgrind the shadow
    thread lags the clients); raises when some were dropped instead."""
    deadline = time.monotonic() + timeout
    while True:
        now = counts(admin_port)
        failed = sum(now.get(r, 0.0) for r in FAILURES)
        if failed:
            raise RuntimeError(f"{failed:.0f} copies dropped while counting instructions")
        if now["compared"] >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {now['compared']:.0f} of {count} copies compared")
        time.sleep(0.5)


@dataclasses.dataclass
class SweepRound:
    rps: float
    compared_per_s: float
    copies_per_s: float
    failures: float
    p99_ms: float
    legacy_rps: float
    legacy_p99_ms: float


@dataclasses.dataclass
class SweepPoint:
    budget: int
    rounds: list[SweepRound]

    def median(self, field: str) -> float:
        return statistics.median(getattr(r, field) for r in self.rounds)

    def spread(self, field: str) -> tuple[float, float]:
        values = [getattr(r, field) for r in self.rounds]
        return min(values), max(values)

    @property
    def dropped(self) -> float:
        return sum(r.failures for r in self.rounds)

    def ratio_to_legacy(self) -> tuple[float, float, float]:
        """compared/s over legacy's req/s of the same round: median, min, max."""
        ratios = [r.compared_per_s / r.legacy_rps for r in self.rounds if r.legacy_rps]
        return statistics.median(ratios), min(ratios), max(ratios)


def sweep(bench, quick: bool) -> list[SweepPoint]:
    """Each budget in turn, legacy mode beside it, round by round."""
    args = bench.args
    budgets = QUICK_BUDGETS if quick else BUDGETS
    rounds = 1 if quick else 3
    legacy, legacy_port = bench.start_proxy("legacy", SWEEP_PATH)
    points = []
    try:
        bench.wrk(legacy_port, SWEEP_PATH, SWEEP_CONNECTIONS, args.warmup, None)
        for budget in budgets:
            proc, port = bench.start_proxy(f"shadow@{budget}", SWEEP_PATH)
            admin = bench.admin_port(port)
            try:
                bench.wrk(port, SWEEP_PATH, SWEEP_CONNECTIONS, args.warmup, None)
                runs = []
                for _ in range(rounds):
                    base = bench.wrk(legacy_port, SWEEP_PATH, SWEEP_CONNECTIONS,
                                     args.duration, legacy.pid)
                    before, started = counts(admin), time.monotonic()
                    run = bench.wrk(port, SWEEP_PATH, SWEEP_CONNECTIONS, args.duration, proc.pid)
                    seconds, after = time.monotonic() - started, counts(admin)
                    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
                    runs.append(SweepRound(
                        rps=run.rps, compared_per_s=delta["compared"] / seconds,
                        copies_per_s=delta["copies"] / seconds,
                        failures=sum(delta.get(r, 0.0) for r in FAILURES),
                        p99_ms=run.p99_ms, legacy_rps=base.rps, legacy_p99_ms=base.p99_ms))
                proc.check_alive()
            finally:
                proc.stop(30)
            point = SweepPoint(budget, runs)
            points.append(point)
            bench_say(f"  budget {budget:,}/s: {point.median('compared_per_s'):,.0f} compared/s, "
                      f"{point.dropped:,.0f} dropped, clients {point.median('rps'):,.0f} req/s "
                      f"(legacy {point.median('legacy_rps'):,.0f})")
    finally:
        legacy.stop(30)
    return points


def bench_say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def before_first_drop(points: list[SweepPoint]) -> SweepPoint | None:
    """The highest budget compared in full (>= 0.9 x B a second, nothing
    dropped) below the first that was not."""
    best = None
    for point in points:
        if point.dropped or point.median("compared_per_s") < 0.9 * point.budget:
            break
        best = point
    return best


@dataclasses.dataclass
class Prune:
    backend: str
    rss_before_kib: int
    rss_after_kib: int
    bytes_before: int
    bytes_after: int


def prune(root: Path) -> list[Prune]:
    """Runs `tests/shadow_prune.rs` (a million results pruned, both backends)
    and reads the figures it prints."""
    out = subprocess.run(
        ["cargo", "test", "-q", "-p", "strangler-proxy", "--test", "shadow_prune", "--",
         "--nocapture", "--test-threads=1"],
        cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"tests/shadow_prune.rs failed: {out.stderr.strip()[-300:]}")
    figures = []
    for line in out.stdout.splitlines():
        match = re.search(r"RSS (\d+) → (\d+) KiB; SQLite files (\d+) → (\d+) bytes", line)
        if match:
            numbers = list(map(int, match.groups()))
            # Only the SQLite run has files of its own to measure.
            figures.append(Prune("sqlite" if numbers[2] else "postgres", *numbers))
    return figures


def markdown(points: list[SweepPoint], prunes: list[Prune], instructions: dict[str, float],
             duration: float) -> list[str]:
    lines = ["", "## Shadow mode: budget, comparisons, store", ""]
    if COMPARED in instructions and "legacy" in instructions:
        c, leg = instructions[COMPARED], instructions["legacy"]
        lines += [f"Instructions per compared request (callgrind, every request copied and "
                  f"compared, counters and rows written to the SQLite store): **{c:,.0f}**, "
                  f"{c / leg:.1f} × legacy mode's {leg:,.0f} in the same run.", ""]
    if points:
        lines += [
            f"wrk `-c{SWEEP_CONNECTIONS}` on the small JSON saturates the proxy's core; "
            "`shadow.max_per_second` = budget paces the copies; legacy mode runs beside it, "
            f"round by round ({duration:g} s runs). Compared/s from the proxy's counters; "
            "dropped = `queue_full` + `candidate_error` + `primary_incomplete` (not "
            "`over_budget`, which is the budget doing its job).", "",
            "| budget /s | compared /s (median, min–max) | compared / budget | compared / legacy req/s "
            "(median, min–max) | dropped | clients req/s | legacy req/s | shadow p99 ms "
            "| legacy p99 ms |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for p in points:
            lo, hi = p.spread("compared_per_s")
            ratio, rlo, rhi = p.ratio_to_legacy()
            lines.append(
                f"| {p.budget:,} | {p.median('compared_per_s'):,.0f} ({lo:,.0f}–{hi:,.0f}) "
                f"| {p.median('compared_per_s') / p.budget:.2f} "
                f"| {ratio:.2f} ({rlo:.2f}–{rhi:.2f}) | {p.dropped:,.0f} "
                f"| {p.median('rps'):,.0f} | {p.median('legacy_rps'):,.0f} "
                f"| {p.median('p99_ms'):.2f} | {p.median('legacy_p99_ms'):.2f} |")
    if prunes:
        lines += ["", "Pruning a million kept results (`tests/shadow_prune.rs`, debug build):", "",
                  "| backend | RSS before → after (KiB) | ratio | SQLite files before → after |",
                  "|---|---|---|---|"]
        for p in prunes:
            files = (f"{p.bytes_before / 2**20:,.1f} → {p.bytes_after / 2**20:,.1f} MiB"
                     if p.bytes_before else "(a server's files)")
            lines.append(f"| {p.backend} | {p.rss_before_kib:,} → {p.rss_after_kib:,} "
                         f"| {p.rss_after_kib / p.rss_before_kib:.3f} | {files} |")
    return lines


def targets(points: list[SweepPoint], prunes: list[Prune],
            instructions: dict[str, float]) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    if COMPARED in instructions and "legacy" in instructions:
        c, leg = instructions[COMPARED], instructions["legacy"]
        out.append(("instructions per compared request ≤ 50,000 (callgrind; legacy's beside)",
                    f"{c:,.0f} (legacy {leg:,.0f}, {c / leg:.1f} ×)", c <= 50_000))
    default = next((p for p in points if p.budget == DEFAULT_BUDGET), None)
    if default:
        got = default.median("compared_per_s")
        out.append((f"the default budget holds under saturation: ≥ 0.9 × {DEFAULT_BUDGET}/s "
                    "compared", f"{got:,.0f}/s", got >= 0.9 * DEFAULT_BUDGET))
    if points:
        best = before_first_drop(points)
        got = best.median("compared_per_s") if best else 0.0
        legacy = best.median("legacy_rps") if best else 0.0
        out.append(("comparisons per second before the first drop ≥ 15,000 (3 × ~5,000)",
                    f"{got:,.0f}/s (legacy beside it {legacy:,.0f} req/s)", got >= 15_000))
    for p in prunes:
        out.append((f"RSS after pruning 1M results within 4 MiB of before ({p.backend})",
                    f"{p.rss_before_kib / 1024:.1f} → {p.rss_after_kib / 1024:.1f} MiB",
                    p.rss_after_kib < p.rss_before_kib + 4096))
    return out
