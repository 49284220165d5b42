import { appendFile, mkdir } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import * as Schema from "effect/Schema";
import { CairnError, MemorySearchParams, type CitationMode, type MemorySearchResult } from "../../schemas/index.ts";
import { defineTool, type Tool } from "../tools/index.ts";
import type { MemoryManager } from "./memory.manager.ts";

/** `memory_search`, `memory_get` and `memory_save`: the agent's long-term memory. */

const cite = (file: string, from: number, to: number) => `${file}#L${from}${to > from ? `-L${to}` : ""}`;

/** Whether the answer carries sources: "auto" when the results come from more than one file. */
export const citesSources = (mode: CitationMode, r: MemorySearchResult) =>
  mode === "on" || (mode === "auto" && new Set(r.hits.map((h) => h.file)).size > 1);

export const formatSearch = (r: MemorySearchResult, mode: CitationMode): string => {
  const notice = r.degraded ? `(${r.degraded})\n` : "";
  if (r.hits.length === 0) return `${notice}No memory matches. Try other words.`;
  const withSources = citesSources(mode, r);
  const body = r.hits
    .map((h, i) => {
      const head = `[${i + 1}] ${cite(h.file, h.startLine, h.endLine)}${h.heading ? ` — ${h.heading}` : ""}`;
      return `${head}\n${h.text.trim()}${withSources ? `\nSource: ${cite(h.file, h.startLine, h.endLine)}` : ""}`;
    })
    .join("\n\n");
  const advice = withSources ? "\n\nCite what you use from these in your reply as [file#Lx-Ly](file#Lx-Ly)." : "";
  return `${notice}${body}${advice}`;
};

const MemoryGetParams = Schema.Struct({
  file: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000)).annotate({
    description: "The file as memory_search names it, e.g. 'memory/notes.md'.",
  }),
  lines: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^\d+(-\d+)?$/)).annotate({
      description: "A line or range, e.g. '12-40' (default: the first 200 lines).",
    }),
  ),
});

const MemorySaveParams = Schema.Struct({
  text: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(20_000)).annotate({ description: "The note, in markdown." }),
  file: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[\w-][\w./-]{0,120}\.md$/)).annotate({
      description: "A file under memory/ to append to, e.g. 'people.md' (default 'notes.md').",
    }),
  ),
  heading: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200)).annotate({ description: "A heading for the note." })),
});

export function memoryTools(memory: MemoryManager, opts: { citations: CitationMode; memoryDir: string; now?: () => number }): Tool[] {
  const now = opts.now ?? Date.now;
  const search = defineTool({
    name: "memory_search",
    description:
      "Search long-term memory (the user's notes and saved facts, past sessions when exported) by meaning and keywords. Returns passages with their file and lines.",
    source: "builtin",
    dangerous: false,
    readOnly: true,
    params: MemorySearchParams,
    async run(args) {
      return { output: formatSearch(await memory.search(args), opts.citations) };
    },
  });
  const get = defineTool({
    name: "memory_get",
    description: "Read lines of a memory file that memory_search named (e.g. to see the rest of a passage).",
    source: "builtin",
    dangerous: false,
    readOnly: true,
    params: MemoryGetParams,
    async run(args) {
      const [from, to] = (args.lines ?? "1").split("-").map(Number);
      const r = await memory.get(args.file, from, args.lines?.includes("-") ? to : args.lines ? from : undefined);
      const more = r.to < r.total ? `\n(lines ${r.to + 1}-${r.total} not shown)` : "";
      return { output: `${cite(r.file, r.from, r.to)} (${r.total} lines)\n${r.text}${more}` };
    },
  });
  const save = defineTool({
    name: "memory_save",
    description: "Save a note to long-term memory (appends to a markdown file under memory/) so it can be found in later sessions.",
    source: "builtin",
    // Writes what later runs read back as trusted context: a person approves it (approval rules apply).
    dangerous: true,
    params: MemorySaveParams,
    async run(args) {
      const rel = normalize(args.file ?? "notes.md");
      if (rel.startsWith("..") || rel.startsWith("/")) throw new CairnError("bad_request", "the file must stay under memory/");
      const file = join(opts.memoryDir, rel);
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const stamp = new Date(now()).toISOString().slice(0, 16).replace("T", " ");
      await appendFile(file, `\n## ${args.heading ?? stamp}\n\n${args.text.trim()}\n`, { mode: 0o600 });
      await memory.indexNow(file);
      return { output: `saved to memory/${rel.split("\\").join("/")}` };
    },
  });
  return [search, get, save] as Tool[];
}
