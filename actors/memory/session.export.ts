import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { H, requestAs, subjects } from "../../bus/index.ts";
import { GetHistoryResult, isTokenSafe } from "../../schemas/index.ts";

/** How long after a run's end the transcript is read: the read model follows the log closely. */
const SETTLE_MS = 500;

/** A chat as a markdown file a person (and memory_search) can read. */
export const transcriptMarkdown = (h: typeof GetHistoryResult.Type, exportedAt: number): string => {
  const lines = [
    `# ${h.session.title || h.session.key}`,
    "",
    `Session \`${h.session.key}\`, exported ${new Date(exportedAt).toISOString()}.`,
    "",
  ];
  for (const m of h.messages) {
    if (m.role === "assistant" && m.text.trim() === "") continue;
    lines.push(`## ${m.role === "user" ? "User" : "Assistant"} · ${new Date(m.at).toISOString()}`, "", m.text.trim(), "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
};

/**
 * `[memory] session_export = true`: after each finished run, the chat's transcript is written to
 * `<memory dir>/sessions/<key>.md` (whole, atomically: write then rename), where the memory
 * watcher indexes it like any memory file. Follows `session.run_ended` on the bus; the text comes
 * from the read model, so nothing new is stored in the log.
 */
export function exportSessions(o: {
  nc: NatsConnection;
  memoryDir: string;
  report: (line: string) => void;
  now?: () => number;
}): Subscription {
  const dir = join(o.memoryDir, "sessions");
  const pending = new Map<string, NodeJS.Timeout>();
  const write = async (key: string) => {
    pending.delete(key);
    try {
      const h = await requestAs(o.nc, subjects.query("messages", "history"), { sessionKey: key }, GetHistoryResult, { timeoutMs: 10_000 });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${key}.md`);
      writeFileSync(`${file}.tmp`, transcriptMarkdown(h, (o.now ?? Date.now)()), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      o.report(`memory: could not export session ${key}: ${(e as Error).message}`);
    }
  };
  return o.nc.subscribe(subjects.eventsOfKind("session"), {
    callback: (_err, msg) => {
      if (msg.headers?.get(H.type) !== "session.run_ended") return;
      const key = msg.subject.split(".").at(-1) ?? "";
      if (!isTokenSafe(key)) return;
      // A burst of runs in one chat writes the file once.
      clearTimeout(pending.get(key));
      pending.set(
        key,
        setTimeout(() => void write(key), SETTLE_MS),
      );
    },
  });
}
