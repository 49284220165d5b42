/** The human-readable table: each figure next to its target and a verdict. */
import type { Baseline } from "./baseline.ts";
import type { EventLogResult } from "./eventlog.ts";
import type { LatencyResult, MemorySample } from "./latency.ts";
import type { StartRun, StartupResult } from "./startup.ts";
import { median, type Summary } from "./util.ts";

export const TARGETS = {
  latencyP50Ms: 2,
  latencyP99Ms: 10,
  coldStartMs: 1500,
  idleRssMb: 120,
  rebuildPerSec: 20_000,
} as const;

interface Report {
  mode: string;
  machine: { node: string; cpus: number; cpuModel: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  totalSeconds: number;
  baseline: Baseline | null;
  latency: LatencyResult | null;
  startup: StartupResult | null;
  eventlog: EventLogResult | null;
  failed: boolean;
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—");
const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");
const pcts = (s: Summary, d = 2) => `${f(s.p50, d)} / ${f(s.p90, d)} / ${f(s.p99, d)} / ${f(s.max, d)}`;

export function renderTable(r: Report): string {
  const rows: Array<[string, string, string, string]> = [];
  const head = (title: string) => rows.push([title, "", "", ""]);
  const row = (metric: string, value: string, target = "", v = "") => rows.push([`  ${metric}`, value, target, v]);

  const l = r.latency;
  if (l) {
    head(
      `1. gateway-added latency, ms (one session, ${l.messages} turns after ${l.warmup} warm-up, ≥ 35 ms apart: the edge allows 30 req/s)`,
    );
    const s = l.fromFirstByte;
    row(
      "first byte → WS run.delta, p50/p90/p99/max",
      pcts(s),
      `p50 ≤ ${TARGETS.latencyP50Ms}, p99 ≤ ${TARGETS.latencyP99Ms}`,
      verdict(s.p50 <= TARGETS.latencyP50Ms && s.p99 <= TARGETS.latencyP99Ms),
    );
    row("first text write → WS run.delta", pcts(l.fromFirstTextWrite));
    row("  (fixture: first byte → first text write)", pcts(l.fixtureGap, 3));
    if (l.delayed) {
      const d = l.delayed.fromFirstByte;
      row(
        `same, first byte 50 ms after the request (${l.delayed.messages} msgs)`,
        pcts(d),
        `p50 ≤ ${TARGETS.latencyP50Ms}, p99 ≤ ${TARGETS.latencyP99Ms}`,
        verdict(d.p50 <= TARGETS.latencyP50Ms && d.p99 <= TARGETS.latencyP99Ms),
      );
    }
    if (r.baseline) {
      row("machine floor: loopback TCP round trip Node↔Node", pcts(r.baseline.busyRttMs, 3));
      row("  same, after 50 ms idle (the token path has 4 hops)", pcts(r.baseline.idleRttMs, 3));
    }
    row("chat.send → res (ack)", pcts(l.sendAck));
    row("chat.send → first run.delta", pcts(l.sendToFirstDelta));
    row("chat.send → run.ended", pcts(l.sendToEnded));
    const c = l.cpuMsPerMessage;
    row("CPU ms per message: gateway / nats-server / bench", `${f(c.gateway, 2)} / ${f(c.nats, 2)} / ${f(c.bench, 2)}`);
    if (l.rateLimitedRetries) row("chat.send retried after rate_limited", String(l.rateLimitedRetries));
  }

  const s = r.startup;
  if (s) {
    head("2. start, ms from spawn of `node cli/bin.mjs gateway`: median (min–max)");
    const runs = (label: string, xs: StartRun[]) => {
      if (xs.length === 0) return;
      const span = (pick: (x: StartRun) => number) => {
        const v = xs.map(pick);
        return xs.length === 1 ? f(v[0], 0) : `${f(median(v), 0)} (${f(Math.min(...v), 0)}–${f(Math.max(...v), 0)})`;
      };
      const ready = median(xs.map((x) => x.readyMs));
      const health = median(xs.map((x) => x.healthMs));
      row(
        `${label}: → "ready" line`,
        span((x) => x.readyMs),
        `≤ ${TARGETS.coldStartMs}`,
        verdict(ready <= TARGETS.coldStartMs),
      );
      row(
        `${label}: → /health ok`,
        span((x) => x.healthMs),
        `≤ ${TARGETS.coldStartMs}`,
        verdict(health <= TARGETS.coldStartMs),
      );
      row(
        `${label}:   of which node + module loading`,
        span((x) => x.readyMs - x.internalMs),
      );
      row(
        `${label}:   of which startGateway ("ready in")`,
        span((x) => x.internalMs),
      );
      row(
        `${label}: SIGTERM → exit`,
        span((x) => x.stopMs),
      );
    };
    if (s.firstEver) runs("first-ever ×1", [s.firstEver]);
    runs(`fresh ×${s.fresh.length}`, s.fresh);
    runs(`warm ×${s.warm.length}`, s.warm);
    rows.push([
      "  (first-ever: fresh source snapshot, no dist/ bundle, empty $TMPDIR, new data dir; fresh: new data dir, so a new NATS identity; warm: same data dir again)",
      "",
      "",
      "",
    ]);
  }

  if (l) {
    head(`3. resident memory (VmRSS), MB (gateway of the latency run)`);
    const mem = (label: string, m: MemorySample) => {
      row(`${label}: gateway (node)`, f(m.gatewayMb), `≤ ${TARGETS.idleRssMb}`, verdict(m.gatewayMb <= TARGETS.idleRssMb));
      row(`${label}: nats-server`, f(m.natsMb));
      for (const [name, mb] of Object.entries(m.otherChildrenMb)) row(`${label}: ${name} (child of gateway)`, f(mb));
    };
    mem("after start", l.memory.afterStart);
    mem(`after run + ${l.memory.idleSeconds} s idle`, l.memory.afterIdle);
    row("gateway peak (VmHWM) during the run", f(l.memory.afterIdle.gatewayPeakMb));
  }

  const e = r.eventlog;
  if (e) {
    head("4. event append rate (EventLog.append, one event per append, expected sequence)");
    for (const a of e.appends) {
      row(
        `${a.mode}, ${a.writers} writer${a.writers > 1 ? "s" : ""}, ${a.sessions} sessions × 41`,
        `${int(a.perSec)} events/s`,
        "",
        `${int(a.events)} in ${f(a.ms / 1000, 2)} s`,
      );
    }
    head("5. rebuild rate (buildFresh into a new SQLite file)");
    const b = e.rebuild;
    row(
      `buildFresh, ${int(b.events)} events`,
      `${int(b.perSec)} events/s`,
      `≥ ${int(TARGETS.rebuildPerSec)}`,
      `${verdict(b.perSec >= TARGETS.rebuildPerSec)} (${f(b.ms / 1000, 2)} s)`,
    );
    row("read + decode only (no SQLite)", `${int(b.readOnlyPerSec)} events/s`, "", `(${f(b.readOnlyMs / 1000, 2)} s)`);
  }

  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((x) => (x[1] || x[2] || x[3] ? x[i].length : 0))));
  const lines = rows.map((x) =>
    x[1] || x[2] || x[3]
      ? x
          .map((c, i) => c.padEnd(widths[i]))
          .join("  ")
          .trimEnd()
      : x[0],
  );
  const m = r.machine;
  return [
    "",
    `cairn gateway benchmark (${r.mode}) — ${m.cpus} × ${m.cpuModel}, node ${m.node}, load avg ${m.loadAvgAtStart.join(" ")} → ${m.loadAvgAtEnd.join(" ")}, ${r.totalSeconds.toFixed(0)} s${r.failed ? " — FAILED, see stderr" : ""}`,
    `${"metric".padEnd(widths[0])}  ${"value".padEnd(widths[1])}  ${"target".padEnd(widths[2])}  verdict`,
    ...lines,
    "",
  ].join("\n");
}
