/**
 * By hand: `npx tsx bench/chaos.failover.ts --trials N [--gateways 3] [--servers 3]`.
 *
 * Many gateways on one NATS cluster, killed at random. Each trial starts a chat through a random
 * gateway — either a streamed reply, or a tool call that asks for approval (answered through a
 * random gateway) and then runs `echo <trial> >> counts/<trial>` in the sandbox — and kill -9s a
 * random gateway at a random instant of it, then restarts it. It measures the time from the kill to
 * the first reply served for the same session (retrying through the surviving gateways).
 *
 * After all trials an invariant checker reads the whole log and the read models and counts, all of
 * which must be 0: acknowledged messages lost (a chat that exited 0 whose message is not in the
 * log once), duplicated effects (a counter file with more than one line), runs without an end,
 * sessions still busy, and read models that differ between the gateways or from a rebuild.
 * Exit status 1 when any count is not 0.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startGatewayProc, type GatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";
import { startNatsCluster } from "../tests/fixtures/nats-cluster.ts";
import { percentile, sleep } from "./lib/util.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "20" },
    gateways: { type: "string", default: "3" },
    servers: { type: "string", default: "3" },
  },
});
const trials = Number(values.trials);
const n = Number(values.gateways);
if (!(trials > 0 && n >= 2)) throw new Error("--trials must be positive and --gateways at least 2");

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const rows = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));

const cluster = await startNatsCluster({ servers: Number(values.servers) });
const llm = await startLlmServer();
const shared = mkdtempSync(join(tmpdir(), "cairn-failover-bench-"));
const configDir = join(shared, "config");
const workspaces = join(shared, "workspaces");
for (const d of [configDir, workspaces]) mkdirSync(d);
writeFileSync(join(configDir, "cairn.toml"), `[tools.exec]\napproval_mode = "always"\n\n[tools.exec.sandbox]\nbackend = "bubblewrap"\n`);
const env = {
  CAIRN_NATS_URL: cluster.urls,
  CAIRN_NATS_CREDS: cluster.creds.gateway,
  CAIRN_WORKSPACES_DIR: workspaces,
  CAIRN_CONFIG_DIR: configDir,
};
const gws: GatewayProc[] = [];
for (let i = 0; i < n; i++) gws.push(await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: env }));
const alive = new Set(gws);

/** Messages whose chat exited 0: the gateway acknowledged them, so the log must hold each once. */
const acknowledged: Array<{ session: string; text: string }> = [];
const failoverMs: number[] = [];
const problems: string[] = [];

async function chat(gw: GatewayProc, session: string, text: string) {
  const r = await gw.cli(["chat", "--session", session, text], { timeoutMs: 60_000 });
  if (r.code === 0) acknowledged.push({ session, text });
  return r;
}

/** Answers every pending approval through a live gateway (a trial's approval may outlive its kill). */
async function approveAll() {
  const gw = pick([...alive]);
  const listed = await gw.cli(["approvals", "list", "--json"]);
  for (const a of listed.code === 0 ? rows(listed.stdout) : []) await gw.cli(["approvals", "approve", a.id]);
}

try {
  for (let t = 1; t <= trials; t++) {
    llm.reset();
    const session = `t${t}`;
    const kind = pick(["stream", "tool"] as const);
    if (kind === "stream") llm.script({ chunks: Array(40).fill("word "), chunkDelayMs: 25 });
    else
      llm.script(
        { toolCalls: [{ id: `call_${t}`, name: "exec", arguments: JSON.stringify({ command: `sleep 0.3; echo ${t} >> counter.txt` }) }] },
        { chunks: ["done"] },
      );
    const via = pick(gws);
    const first = chat(via, session, `trial ${t}`);
    const approving =
      kind === "tool"
        ? (async () => {
            for (let i = 0; i < 20; i++) {
              await sleep(150);
              await approveAll().catch(() => {});
            }
          })()
        : Promise.resolve();
    await sleep(Math.random() * 1_500);
    const victim = pick(gws);
    const killedAt = Date.now();
    await victim.kill("SIGKILL");
    alive.delete(victim);
    const restarted = victim.restart().then(() => alive.add(victim));
    // The first reply for this session after the kill, through any gateway still up.
    llm.script({ chunks: ["after"] });
    for (;;) {
      await approveAll().catch(() => {});
      const r = await chat(pick([...alive]), session, `after ${t}`);
      if (r.code === 0) {
        failoverMs.push(Date.now() - killedAt);
        break;
      }
      if (Date.now() - killedAt > 60_000) {
        problems.push(`trial ${t}: no reply within 60 s after the kill (${r.stderr.trim()})`);
        break;
      }
      await sleep(100);
    }
    await Promise.all([first, approving, restarted]);
    console.log(`trial ${t} (${kind}, killed ${gws.indexOf(victim) + 1}): next reply ${failoverMs.at(-1)} ms after the kill`);
  }

  // Let the reconcile (15 s) repair anything still open, then check every invariant.
  await sleep(16_000);
  await approveAll();
  const events = rows((await gws[0].cli(["events", "tail", "--json", "-n", "1000000"], { timeoutMs: 60_000 })).stdout);
  const count = (p: (e: { type: string; id: string; data: { text?: string; runId?: string; sessionKey?: string } }) => boolean) =>
    events.filter(p).length;
  const lost = acknowledged.filter(
    (m) => count((e) => e.type === "session.user_message" && e.id === m.session && e.data.text === m.text) !== 1,
  );
  const duplicated: string[] = [];
  for (let t = 1; t <= trials; t++) {
    const f = join(workspaces, `t${t}`, "counter.txt");
    if (existsSync(f) && readFileSync(f, "utf8").split("\n").filter(Boolean).length > 1) duplicated.push(`t${t}`);
  }
  const ends = new Set(["run.completed", "run.failed", "run.interrupted", "run.cancelled"]);
  const ended = new Set(events.filter((e) => e.kind === "run" && ends.has(e.type)).map((e) => e.id));
  const unended = events.filter((e) => e.type === "run.started" && !ended.has(e.id)).map((e) => e.id);
  const lists = await Promise.all(gws.map(async (g) => rows((await g.cli(["sessions", "list", "--json", "--limit", "100000"])).stdout)));
  const busy = lists[0].filter((s: { activeRunId?: string | null }) => s.activeRunId).map((s: { key: string }) => s.key);
  const key = (l: unknown[]) => JSON.stringify(l.map((s) => ({ ...(s as object), updatedAt: undefined })));
  const differing = lists.filter((l) => key(l) !== key(lists[0])).length;
  const rebuilt = await gws[0].cli(["projections", "rebuild", "--json"], { timeoutMs: 120_000 });
  const afterRebuild = rows((await gws[0].cli(["sessions", "list", "--json", "--limit", "100000"])).stdout);
  const rebuildDiffers = rebuilt.code !== 0 || key(afterRebuild) !== key(lists[0]) ? 1 : 0;

  const report = {
    trials,
    gateways: n,
    servers: Number(values.servers),
    events: events.length,
    failoverMs: { p50: percentile(failoverMs, 50), p90: percentile(failoverMs, 90), max: Math.max(...failoverMs) },
    lostAcknowledged: lost.length,
    duplicatedEffects: duplicated.length,
    runsWithoutEnd: unended.length,
    sessionsStuckBusy: busy.length,
    readModelsDifferingBetweenGateways: differing,
    readModelsDifferingFromRebuild: rebuildDiffers,
    problems,
  };
  console.log(JSON.stringify(report, null, 2));
  const bad = lost.length + duplicated.length + unended.length + busy.length + differing + rebuildDiffers + problems.length;
  if (bad > 0) console.log({ lost, duplicated, unended, busy });
  process.exitCode = bad === 0 ? 0 : 1;
} finally {
  for (const g of gws) await g.dispose();
  await llm.close();
  await cluster.stop();
  rmSync(shared, { recursive: true, force: true });
}
