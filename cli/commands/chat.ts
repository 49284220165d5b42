import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { AttachmentStore, attachmentsDir, request, subjects } from "../../bus/index.ts";
import * as Schema from "effect/Schema";
import {
  CairnError,
  LiveSessionMessage,
  MAX_ATTACHMENTS_PER_MESSAGE,
  ModelId,
  decodeLenient,
  isCairnError,
  isTokenSafe,
  type Attachment,
} from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError } from "../output.ts";
import type { Paths } from "../paths.ts";

/** Exit code of a run the user stopped with Ctrl-C (128 + SIGINT, as shells expect). */
export const EXIT_CANCELLED = 130;

/**
 * Waits for the run's end, printing its deltas (stdout) and its tool calls and approvals (compact
 * lines on stderr, so stdout stays the reply); resolves with the exit code. The first Ctrl-C asks
 * the gateway to stop the run (the model is told next turn), a second one leaves at once.
 */
const streamRun = (nc: NatsConnection, key: string, json: boolean, sendIt: () => Promise<{ runId: string }>) =>
  new Promise<number>((resolve, reject) => {
    let runId: string | undefined;
    const early: LiveSessionMessage[] = [];
    let nextIndex = 0;
    let midLine = false;
    const note = (line: string) => {
      process.stderr.write(`${midLine ? "\n" : ""}${line}\n`);
      midLine = false;
    };
    let interrupts = 0;
    const onSigint = () => {
      if (++interrupts > 1 || !runId) {
        cleanup();
        return resolve(EXIT_CANCELLED);
      }
      note("cairn: stopping the reply… (Ctrl-C again to leave now)");
      request(nc, subjects.command("session", key, "cancel"), { runId, by: "cli" }).catch((e: Error) =>
        note(`cairn: could not stop the run: ${e.message}`),
      );
    };
    process.on("SIGINT", onSigint);
    const handle = (m: LiveSessionMessage): void => {
      if (!runId) return void early.push(m);
      if (!("runId" in m) || m.runId !== runId) return;
      if (m.type === "run.delta") {
        if (m.index < nextIndex) return; // a repeat
        nextIndex = m.index + 1;
        process.stdout.write(json ? `${JSON.stringify({ type: "delta", text: m.text })}\n` : m.text);
        if (!json && m.text.length > 0) midLine = !m.text.endsWith("\n");
      } else if (m.type === "run.tool" || m.type === "run.approval") {
        if (json) process.stdout.write(`${JSON.stringify({ ...m, type: m.type === "run.tool" ? "tool" : "approval" })}\n`);
        else {
          const line = m.type === "run.tool" ? toolLine(m) : approvalLine(m);
          if (line) note(line);
        }
      } else if (m.type === "run.model_switched") {
        // A fallback: say so, on stderr so stdout stays the reply alone.
        if (json) process.stdout.write(`${JSON.stringify({ type: "model_switched", from: m.from, to: m.to, error: m.error })}\n`);
        else process.stderr.write(`cairn: ${m.from} failed [${m.error.code}]; trying ${m.to}\n`);
      } else if (m.type === "run.ended") {
        cleanup();
        if (json) process.stdout.write(`${JSON.stringify({ type: "result", runId, status: m.status, error: m.error ?? null })}\n`);
        else if (nextIndex > 0) process.stdout.write("\n");
        if (m.status === "completed") {
          resolve(0);
          return;
        }
        if (m.status === "cancelled") {
          if (!json) note("cairn: stopped; the reply so far is kept");
          resolve(EXIT_CANCELLED);
          return;
        }
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
      process.off("SIGINT", onSigint);
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

const clip = (s: string, n = 100) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** `⚙ exec  ls -la` when a call starts; `  ✓ exec 12 ms (3 lines)` / `  ✗ …` when it ends. */
const toolLine = (m: Extract<LiveSessionMessage, { type: "run.tool" }>): string | undefined => {
  switch (m.status) {
    case "requested": {
      let shown = m.arguments ?? "";
      try {
        const a = JSON.parse(shown || "{}") as Record<string, unknown>;
        shown = typeof a.command === "string" ? a.command : typeof a.path === "string" ? a.path : typeof a.url === "string" ? a.url : shown;
      } catch {
        // shown as the model wrote it
      }
      return `⚙ ${m.name}  ${clip(shown)}`;
    }
    case "started":
      return undefined;
    case "finished": {
      const lines = (m.output ?? "").split("\n").length;
      return `  ✓ ${m.name} ${m.durationMs ?? 0} ms (${lines} line${lines === 1 ? "" : "s"}${m.truncated ? ", truncated" : ""})`;
    }
    case "failed":
      return `  ✗ ${m.name}: ${clip(m.output ?? "failed", 160)}`;
    case "interrupted":
      return `  ✗ ${m.name}: interrupted`;
  }
};

const approvalLine = (m: Extract<LiveSessionMessage, { type: "run.approval" }>): string => {
  switch (m.status) {
    case "pending":
      return `? approval needed: ${clip(m.command)}${m.reason ? ` (${m.reason})` : ""}\n  answer with: cairn approvals approve ${m.approvalId}   (or: cairn approvals deny ${m.approvalId})`;
    case "granted":
      return `  approved: ${clip(m.command, 60)}`;
    case "denied":
      return `  denied${m.reason ? `: ${m.reason}` : ""}`;
    case "expired":
      return `  approval expired: ${clip(m.command, 60)}`;
  }
};

export async function chat(
  args: { session: string; json: boolean; text: string; model?: string | undefined; attach?: readonly string[] },
  paths: Paths,
): Promise<number> {
  if (!isTokenSafe(args.session)) throw new UsageError(`--session must be 1-64 letters, digits, '_' or '-', got '${args.session}'`);
  if (args.model !== undefined && !Schema.is(ModelId)(args.model)) {
    throw new UsageError(`--model must be provider/model, e.g. openai/gpt-4o-mini, got '${args.model}'`);
  }
  const files = args.attach ?? [];
  if (!args.text.trim() && files.length === 0) throw new UsageError('nothing to send: give a message, e.g. cairn chat "hello"');
  if (files.length > MAX_ATTACHMENTS_PER_MESSAGE)
    throw new UsageError(`--attach: at most ${MAX_ATTACHMENTS_PER_MESSAGE} files per message`);
  // Stored straight into the gateway's store: the CLI runs beside it, on the same data dir.
  const attachments = await storeFiles(files, paths);
  const nc = await connectToGateway(paths);
  try {
    const messageId = `m-${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
    return await streamRun(
      nc,
      args.session,
      args.json,
      async () =>
        // 30 s: during a failover (a gateway or a NATS server lost) the gateway retries for a while
        // before it answers; the send is idempotent on its message id.
        (await request(
          nc,
          subjects.command("session", args.session, "send"),
          {
            text: args.text,
            messageId,
            createIfMissing: true,
            ...(args.model !== undefined ? { model: args.model } : {}),
            ...(attachments.length > 0 ? { attachments } : {}),
          },
          { timeoutMs: 30_000 },
        )) as { runId: string },
    );
  } finally {
    await nc.close();
  }
}

/** Reads and stores each `--attach` file; a missing or refused file is a usage error naming it. */
const storeFiles = async (files: readonly string[], paths: Paths): Promise<Attachment[]> => {
  const store = new AttachmentStore(attachmentsDir(paths.dataDir));
  const out: Attachment[] = [];
  for (const file of files) {
    const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--attach ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
    });
    const f = await store.put(bytes).catch((e: unknown) => {
      throw isCairnError(e) ? new CairnError(e.code, `--attach ${file}: ${e.message}`) : e;
    });
    out.push({ sha256: f.sha256, name: basename(file).slice(0, 255) || "file", mime: f.mime, size: f.size, kind: f.kind });
  }
  return out;
};
