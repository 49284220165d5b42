import type { NatsConnection } from "@nats-io/transport-node";
import { request, subjects } from "../../bus/index.ts";
import * as Schema from "effect/Schema";
import { CairnError, LiveSessionMessage, ModelId, decodeLenient, isTokenSafe } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError } from "../output.ts";
import type { Paths } from "../paths.ts";

/** Waits for the run's end, printing its deltas; resolves with the exit code. */
const streamRun = (nc: NatsConnection, key: string, json: boolean, sendIt: () => Promise<{ runId: string }>) =>
  new Promise<number>((resolve, reject) => {
    let runId: string | undefined;
    const early: LiveSessionMessage[] = [];
    let nextIndex = 0;
    const handle = (m: LiveSessionMessage): void => {
      if (!runId) return void early.push(m);
      if (!("runId" in m) || m.runId !== runId) return;
      if (m.type === "run.delta") {
        if (m.index < nextIndex) return; // a repeat
        nextIndex = m.index + 1;
        process.stdout.write(json ? `${JSON.stringify({ type: "delta", text: m.text })}\n` : m.text);
      } else if (m.type === "run.model_switched") {
        // A fallback: say so, on stderr so stdout stays the reply alone.
        if (json) process.stdout.write(`${JSON.stringify({ type: "model_switched", from: m.from, to: m.to, error: m.error })}\n`);
        else process.stderr.write(`cairn: ${m.from} failed [${m.error.code}]; trying ${m.to}\n`);
      } else if (m.type === "run.ended") {
        cleanup();
        if (json) process.stdout.write(`${JSON.stringify({ type: "result", runId, status: m.status, error: m.error ?? null })}\n`);
        else if (nextIndex > 0) process.stdout.write("\n");
        if (m.status === "completed") return resolve(0);
        const e = m.error ?? { code: "internal", message: `the run ended ${m.status}` };
        if (!json) process.stderr.write(`cairn: ${e.message} [${e.code}]\n`);
        resolve(1);
      }
    };
    const sub = nc.subscribe(subjects.liveSession(key), {
      callback: (_err, msg) => {
        try {
          handle(decodeLenient(LiveSessionMessage, msg.json(), "live message"));
        } catch {
          // not ours to judge: skip malformed live messages
        }
      },
    });
    // The gateway may die mid-reply while its NATS server lives on: ask it now and then. Two
    // misses in a row, so a NATS restart (a few seconds) is ridden out.
    let misses = 0;
    const watchdog = setInterval(() => {
      request(nc, subjects.query("status", "get"), {}, { timeoutMs: 4000 }).then(
        () => (misses = 0),
        (e: CairnError) => {
          if (++misses < 2) return;
          cleanup();
          reject(new CairnError("unavailable", `lost the gateway while waiting for the reply (${e.message})`));
        },
      );
    }, 5000);
    const cleanup = () => {
      clearInterval(watchdog);
      sub.unsubscribe();
    };
    sendIt().then(
      (r) => {
        runId = r.runId;
        for (const m of early.splice(0)) handle(m);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });

export async function chat(args: { session: string; json: boolean; text: string; model?: string | undefined }, paths: Paths): Promise<number> {
  if (!isTokenSafe(args.session)) throw new UsageError(`--session must be 1-64 letters, digits, '_' or '-', got '${args.session}'`);
  if (args.model !== undefined && !Schema.is(ModelId)(args.model)) {
    throw new UsageError(`--model must be provider/model, e.g. openai/gpt-4o-mini, got '${args.model}'`);
  }
  if (!args.text.trim()) throw new UsageError("nothing to send: give a message, e.g. cairn chat \"hello\"");
  const nc = await connectToGateway(paths);
  try {
    const messageId = `m-${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
    return await streamRun(nc, args.session, args.json, async () =>
      (await request(nc, subjects.command("session", args.session, "send"), {
        text: args.text,
        messageId,
        createIfMissing: true,
        ...(args.model !== undefined ? { model: args.model } : {}),
      })) as { runId: string },
    );
  } finally {
    await nc.close();
  }
}
