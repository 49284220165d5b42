import { request, subjects } from "../../bus/index.ts";
import { SearchMessagesResult, decodeLenient, type SnippetPart } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { localTime } from "../output.ts";
import type { Paths } from "../paths.ts";

/** Matched words in bold on a terminal, in «» otherwise (a pipe keeps them visible without escapes). */
export const highlight = (parts: readonly SnippetPart[], tty: boolean): string =>
  parts
    .map((p) => (p.match ? (tty ? `\u001b[1m${p.text}\u001b[22m` : `«${p.text}»`) : p.text))
    .join("")
    .replace(/\s+/g, " ")
    .trim();

/** `cairn search QUERY [--session K] [--limit N] [--json]`: past chats, best matches first. */
export async function search(o: { query: string; session?: string; limit?: number; json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const raw = await request(nc, subjects.query("search", "messages"), {
      query: o.query,
      ...(o.session ? { sessionKey: o.session } : {}),
      ...(o.limit ? { limit: o.limit } : {}),
    });
    const r = decodeLenient(SearchMessagesResult, raw, "search reply");
    if (o.json) {
      process.stdout.write(r.hits.map((h) => `${JSON.stringify(h)}\n`).join(""));
      return 0;
    }
    if (r.hits.length === 0) {
      process.stdout.write(`no messages match '${o.query}'${o.session ? ` in session ${o.session}` : ""}\n`);
      return 0;
    }
    const tty = Boolean(process.stdout.isTTY);
    for (const h of r.hits) {
      process.stdout.write(`${h.sessionKey} · ${h.sessionTitle} · ${h.role} · ${localTime(h.at)} · ${h.messageId}\n`);
      process.stdout.write(`  ${highlight(h.snippet, tty)}\n`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
