/**
 * One chaos trial against a real gateway process: SIGKILL its nats-server, wait for the
 * supervisor's replacement, append events through `cairn chat`, and measure how long the read
 * models take to reach the log's last event (seen through GET /health, as a user would).
 * Shared by tests/chaos/projector-kill9.test.ts and bench/chaos.projector.ts.
 */
import type { GatewayProc } from "../fixtures/gateway.ts";
import { isAlive, readNatsPid, sleep } from "./chaos.helpers.ts";

export interface Health {
  code: number;
  body: { status: string; reason?: string; projections: { checkpoint: number; logLastSeq: number; lag: number; state?: string } | null };
}

export const getHealth = async (gw: GatewayProc): Promise<Health | undefined> => {
  try {
    const r = await fetch(`${gw.url.replace(/\/$/, "")}/health`, { signal: AbortSignal.timeout(3_000) });
    return { code: r.status, body: (await r.json()) as Health["body"] };
  } catch {
    return undefined; // the edge answers, but a request can fail while the bus restarts
  }
};

export interface TrialResult {
  /** The read models reached the log's last event within the bound. */
  resumed: boolean;
  /** From the end of the appends to the read models at the log's last event (or the bound). */
  catchUpMs: number;
  /** /health said ok (200) with lag 0 after catching up (within the same bound). */
  healthOk: boolean;
  /** The last /health body seen, for a failure message. */
  health?: Health["body"];
  lastSeq: number;
  checkpoint: number;
}

/** SIGKILL of the nats-server, `chats` chat turns after its restart, then waits up to `boundMs` for the read models. */
export async function killNatsAndAppend(
  gw: GatewayProc,
  o: { session: string; trial: number; chats: number; boundMs: number },
): Promise<TrialResult> {
  const old = readNatsPid(gw.dataDir);
  if (!old) throw new Error("no nats-server pid file");
  process.kill(old, "SIGKILL");
  const restartDeadline = Date.now() + 20_000;
  for (;;) {
    const pid = readNatsPid(gw.dataDir);
    if (pid !== undefined && pid !== old && isAlive(pid)) break;
    if (Date.now() > restartDeadline) throw new Error("nats-server was not restarted");
    await sleep(50);
  }
  for (let i = 0; i < o.chats; i++) {
    const text = `trial ${o.trial} turn ${i}`;
    // The CLI may reach the new server before the gateway re-attached: retry the turn (the
    // session is free again once the turn failed, and a turn that did reach the log is not repeated).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await gw.cli(["chat", "--session", o.session, text], { timeoutMs: 30_000 });
      if (r.code === 0) break;
      if (Date.now() > deadline) throw new Error(`chat failed after the restart: ${r.stderr}`);
      await sleep(250);
    }
  }
  const appended = Date.now();
  let h: Health | undefined;
  while (Date.now() - appended < o.boundMs) {
    h = await getHealth(gw);
    const p = h?.body.projections;
    if (p && p.lag === 0 && p.checkpoint === p.logLastSeq) {
      const catchUpMs = Date.now() - appended;
      // Caught up; /health may still show the retry of a failed consumer for a moment.
      while (h?.code !== 200 && Date.now() - appended < o.boundMs) {
        await sleep(50);
        h = await getHealth(gw);
      }
      const q = h?.body.projections;
      return {
        resumed: true,
        catchUpMs,
        healthOk: h?.code === 200 && q?.lag === 0,
        lastSeq: p.logLastSeq,
        checkpoint: p.checkpoint,
        health: h?.body,
      };
    }
    await sleep(50);
  }
  const p = h?.body.projections;
  return {
    resumed: false,
    catchUpMs: Date.now() - appended,
    healthOk: false,
    lastSeq: p?.logLastSeq ?? -1,
    checkpoint: p?.checkpoint ?? -1,
    health: h?.body,
  };
}
