/**
 * By hand: `npx tsx bench/chaos.projector.ts --trials N [--chats K]`. One real gateway (embedded
 * nats-server, scripted LLM); each trial SIGKILLs the nats-server, appends K chat turns after the
 * supervisor's restart, and measures how long the read models take to reach the log's last event
 * (seen through GET /health). Reports in how many trials the projector resumed (must be all), the
 * catch-up time (p50 / max), consumer restarts, and whether /health was ok after each trial.
 * Exit status 1 when any trial did not resume within the bound (60 s).
 */
import { parseArgs } from "node:util";
import { startGatewayProc } from "../tests/fixtures/gateway.ts";
import { startLlmServer } from "../tests/fixtures/llm-server/index.ts";
import { getHealth, killNatsAndAppend, type TrialResult } from "../tests/chaos/projector.trial.ts";
import { percentile } from "./lib/util.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "20" }, chats: { type: "string", default: "2" } } });
const trials = Number(values.trials);
const chats = Number(values.chats);
if (!(trials > 0 && chats > 0)) throw new Error("--trials and --chats must be positive numbers");

const llm = await startLlmServer();
const gw = await startGatewayProc({ llmBaseUrl: llm.url });
const results: TrialResult[] = [];
try {
  const first = await gw.cli(["chat", "--session", "bench", "before"], { timeoutMs: 30_000 });
  if (first.code !== 0) throw new Error(`first chat failed: ${first.stderr}`);
  for (let trial = 1; trial <= trials; trial++) {
    const r = await killNatsAndAppend(gw, { session: "bench", trial, chats, boundMs: 60_000 });
    results.push(r);
    console.log(
      `trial ${trial}: ${r.resumed ? "resumed" : "DID NOT RESUME"} in ${r.catchUpMs} ms, checkpoint ${r.checkpoint}/${r.lastSeq}, /health ${r.healthOk ? "ok" : "NOT ok"}`,
    );
  }
  const h = await getHealth(gw);
  const resumed = results.filter((r) => r.resumed);
  const times = resumed.map((r) => r.catchUpMs);
  const restarts = (gw.output().match(/projector: \[/g) ?? []).length;
  console.log(
    [
      "",
      `projector resumed: ${resumed.length}/${trials} trials (${chats} chat turns = ${chats * 4} events appended after each restart)`,
      `catch-up after the appends: p50 ${percentile(times, 50)} ms, max ${Math.max(...times)} ms`,
      `/health ok after catching up: ${results.filter((r) => r.healthOk).length}/${trials}`,
      `projector failure/stall reports in the gateway log: ${restarts}`,
      `final /health: ${h?.code} ${JSON.stringify(h?.body.projections)}`,
    ].join("\n"),
  );
  process.exitCode = resumed.length === trials ? 0 : 1;
} finally {
  await gw.dispose();
  await llm.close();
}
