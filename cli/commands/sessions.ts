import * as Schema from "effect/Schema";
import { request, subjects } from "../../bus/index.ts";
import { randomInt } from "node:crypto";
import {
  CompactSessionResult,
  ForkSessionResult,
  ListSessionsResult,
  SessionSummary,
  SessionUsage,
  decodeLenient,
  isTokenSafe,
  type SessionSummary as Summary,
} from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError, localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";

const GetSessionResult = Schema.Struct({ session: SessionSummary, usage: SessionUsage });
const DefaultModel = Schema.Struct({ model: Schema.NullOr(Schema.String) });
const DeleteResult = Schema.Struct({ sessionKey: Schema.String, deleted: Schema.Boolean, alreadyDeleted: Schema.Boolean });

const checkKey = (key: string) => {
  if (!isTokenSafe(key)) throw new UsageError(`a session key is 1-64 letters, digits, '_' or '-', got '${key}'`);
};

const count = (n: number): string => Math.round(n).toLocaleString("en-US");

/** `cairn sessions show <key>`: one session's title, model, messages, times and token totals. */
export async function sessionsShow(o: { key: string; json: boolean }, paths: Paths): Promise<number> {
  checkKey(o.key);
  const nc = await connectToGateway(paths);
  try {
    const r = decodeLenient(
      GetSessionResult,
      await request(nc, subjects.query("sessions", "get"), { sessionKey: o.key }),
      "sessions.get reply",
    );
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    // Only to name the default a session without its own model runs on; cosmetic if it fails.
    const fallback = r.session.model
      ? null
      : await request(nc, subjects.query("status", "get"), {}, { timeoutMs: 2000 }).then(
          (s) => decodeLenient(DefaultModel, s, "status").model,
          () => null,
        );
    const s = r.session;
    const u = r.usage;
    const rows: Array<[string, string]> = [
      ["session", s.key],
      ["title", s.title],
      ["model", s.model ?? `the default${fallback ? ` (${fallback})` : ""}`],
      ["messages", `${s.messageCount}${s.activeRunId ? " (a reply is streaming)" : ""}`],
      ...(s.parentKey ? [["fork of", `${s.parentKey} at message ${s.forkPoint ?? "?"}`] as [string, string]] : []),
      ...(s.label ? [["label", s.label] as [string, string]] : []),
      ...(s.sandbox ? [["sandbox", s.sandbox] as [string, string]] : []),
      ["created", localTime(s.createdAt)],
      ["updated", localTime(s.updatedAt)],
      ["runs", count(u.runs)],
      ["input", `${count(u.inputTokens)} tokens`],
      ["output", `${count(u.outputTokens)} tokens`],
      ["cache read", `${count(u.cacheReadTokens)} tokens`],
      ["cache write", `${count(u.cacheWriteTokens)} tokens`],
    ];
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(""));
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn sessions list`: the most recently updated sessions first. */
export async function sessionsList(o: { json: boolean; limit: number }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const r = decodeLenient(
      ListSessionsResult,
      await request(nc, subjects.query("sessions", "list"), { limit: o.limit }),
      "sessions.list reply",
    );
    if (o.json) {
      process.stdout.write(r.sessions.map((s) => `${JSON.stringify(s)}\n`).join(""));
      return 0;
    }
    if (r.sessions.length === 0) {
      process.stdout.write('no sessions yet: start one with cairn chat "hello"\n');
      return 0;
    }
    process.stdout.write(sessionTable(r.sessions));
    return 0;
  } finally {
    await nc.close();
  }
}

/**
 * Sessions as a tree: each fork right under its parent (recursively), siblings in recency order.
 * A fork whose parent is not listed (deleted, or beyond --limit) stands at the top level.
 */
export const sessionTree = (sessions: readonly Summary[]): Array<{ session: Summary; depth: number }> => {
  const listed = new Set(sessions.map((s) => s.key));
  const children = new Map<string, Summary[]>();
  for (const s of sessions) {
    if (s.parentKey && listed.has(s.parentKey)) children.set(s.parentKey, [...(children.get(s.parentKey) ?? []), s]);
  }
  const out: Array<{ session: Summary; depth: number }> = [];
  const seen = new Set<string>();
  const visit = (s: Summary, depth: number) => {
    if (seen.has(s.key)) return;
    seen.add(s.key);
    out.push({ session: s, depth });
    for (const c of children.get(s.key) ?? []) visit(c, depth + 1);
  };
  for (const s of sessions) if (!s.parentKey || !listed.has(s.parentKey)) visit(s, 0);
  return out;
};

const sessionTable = (sessions: readonly Summary[]): string =>
  table([
    ["KEY", "UPDATED", "MSGS", "MODEL", "TITLE"],
    ...sessionTree(sessions).map(({ session: s, depth }) => [
      depth === 0 ? s.key : `${"  ".repeat(depth - 1)}└ ${s.key}`,
      localTime(s.updatedAt),
      String(s.messageCount),
      s.model ?? "(default)",
      `${s.pinned ? "[pinned] " : ""}${s.forkPoint != null ? `fork@${s.forkPoint} ` : ""}${s.title}`,
    ]),
  ]);

/** `s-` + 10 base36 characters, as the web UI mints session keys. */
const newSessionKey = () => `s-${Array.from({ length: 10 }, () => randomInt(36).toString(36)).join("")}`;

/** `cairn sessions fork <key> [--at N] [--label TEXT]`: a new session holding a copy of the first N messages. */
export async function sessionsFork(o: { key: string; at?: number; label?: string; json: boolean }, paths: Paths): Promise<number> {
  checkKey(o.key);
  const nc = await connectToGateway(paths);
  try {
    const params = {
      forkKey: newSessionKey(),
      ...(o.at !== undefined ? { messageIndex: o.at } : {}),
      ...(o.label !== undefined ? { label: o.label } : {}),
    };
    const r = decodeLenient(
      ForkSessionResult,
      await request(nc, subjects.command("session", o.key, "fork"), params),
      "sessions.fork reply",
    );
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `forked ${r.parentKey} at message ${r.forkPoint} into ${r.sessionKey}\ncontinue it with: cairn chat -s ${r.sessionKey} "..."\n`,
      );
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn sessions compact <key>`: `/compact` from the terminal (an LLM call: a longer wait than other commands). */
export async function sessionsCompact(o: { key: string; json: boolean }, paths: Paths): Promise<number> {
  checkKey(o.key);
  const nc = await connectToGateway(paths);
  try {
    const raw = await request(nc, subjects.command("session", o.key, "compact"), {}, { timeoutMs: 180_000 });
    const r = decodeLenient(CompactSessionResult, raw, "sessions.compact reply");
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        r.compacted
          ? `compacted ${r.messages} message(s) of ${r.sessionKey} into a summary (~${r.tokensBefore} -> ~${r.tokensAfter} tokens)\n`
          : `nothing to compact in ${r.sessionKey}\n`,
      );
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn sessions delete <key>`: the session leaves every list; its forks stay. Deleting twice is not an error. */
export async function sessionsDelete(o: { key: string; json: boolean }, paths: Paths): Promise<number> {
  checkKey(o.key);
  const nc = await connectToGateway(paths);
  try {
    const r = decodeLenient(DeleteResult, await request(nc, subjects.command("session", o.key, "delete"), {}), "sessions.delete reply");
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(r.alreadyDeleted ? `session ${r.sessionKey} was already deleted\n` : `deleted session ${r.sessionKey}\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

const RenameResult = Schema.Struct({ sessionKey: Schema.String, title: Schema.String, changed: Schema.Boolean });
const PinResult = Schema.Struct({ sessionKey: Schema.String, pinned: Schema.Boolean, changed: Schema.Boolean });

/** `cairn sessions rename <key> <title>`: `session.renamed`, as the web UI's Rename records it. */
export async function sessionsRename(o: { key: string; title: string; json: boolean }, paths: Paths): Promise<number> {
  checkKey(o.key);
  const nc = await connectToGateway(paths);
  try {
    const raw = await request(nc, subjects.command("session", o.key, "rename"), { title: o.title });
    const r = decodeLenient(RenameResult, raw, "sessions.rename reply");
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(r.changed ? `renamed ${r.sessionKey} to "${r.title}"\n` : `${r.sessionKey} is already called "${r.title}"\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn sessions pin|unpin <key>`: `session.pinned`; pinned sessions lead every list. */
export async function sessionsPin(o: { key: string; pinned: boolean; json: boolean }, paths: Paths): Promise<number> {
  checkKey(o.key);
  const nc = await connectToGateway(paths);
  try {
    const raw = await request(nc, subjects.command("session", o.key, "pin"), { pinned: o.pinned });
    const r = decodeLenient(PinResult, raw, "sessions.pin reply");
    const word = r.pinned ? "pinned" : "unpinned";
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(r.changed ? `${word} ${r.sessionKey}\n` : `${r.sessionKey} was already ${word}\n`);
    return 0;
  } finally {
    await nc.close();
  }
}
