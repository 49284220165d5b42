import { stat } from "node:fs/promises";
import * as path from "node:path";
import * as Schema from "effect/Schema";
import { CairnError, isCairnError } from "../../schemas/index.ts";
import { MAX_EDIT_BYTES, MAX_OUTPUT_BYTES, clipLine, looksBinary, openForRead, throwIfAborted } from "./file.io.ts";
import { checkGlob, globToRegExp, walkFiles, type WalkedFile } from "./glob.match.ts";
import { defineTool, type Tool, type ToolContext } from "./tool.registry.ts";
import { displayPath, resolveInWorkspace, type WorkspacePath } from "./workspace.ts";

export const MAX_GLOB_RESULTS = 1000;
export const MAX_GREP_MATCHES = 500;
const MAX_GREP_LINE_CHARS = 500;

const SearchRoot = Schema.String.annotate({ description: "Directory to search in, relative to the workspace. Default: the workspace." });

async function searchRoot(ctx: ToolContext, p: string | undefined): Promise<WorkspacePath & { isDir: boolean }> {
  const root = await resolveInWorkspace(ctx.workspace, p ?? ".");
  const st = await stat(root.real).catch(() => undefined);
  if (st === undefined) throw new CairnError("bad_request", `path not found: ${root.display}`, { reason: "not_found", path: root.display });
  return { ...root, isDir: st.isDirectory() };
}

/** A symlink met during a walk counts only if its target is still inside the workspace. */
async function insideWorkspace(root: string, f: WalkedFile): Promise<string | undefined> {
  if (!f.symlink) return f.abs;
  try {
    const r = await resolveInWorkspace(root, f.abs);
    const st = await stat(r.real);
    return st.isFile() ? r.real : undefined;
  } catch {
    return undefined;
  }
}

export const GlobParams = Schema.Struct({
  pattern: Schema.String.annotate({ description: "Glob such as **/*.ts or src/{a,b}/*.md, matched against paths relative to `path`." }),
  path: Schema.optionalKey(SearchRoot),
});

export const globTool = defineTool({
  name: "glob",
  description:
    `Find files in the workspace by glob pattern (*, ?, **, [abc], {a,b}). Returns matching paths relative to the ` +
    `workspace, sorted, at most ${MAX_GLOB_RESULTS}. .git and node_modules are skipped unless the pattern names them.`,
  source: "builtin",
  dangerous: false,
  params: GlobParams,
  async run(args, ctx) {
    checkGlob(args.pattern);
    const re = globToRegExp(args.pattern);
    const base = await searchRoot(ctx, args.path);
    if (!base.isDir) throw new CairnError("bad_request", `${base.display} is not a directory`, { reason: "not_a_directory" });
    const found: string[] = [];
    let more = false;
    for await (const f of walkFiles(base.real, ctx.signal, args.pattern)) {
      if (!re.test(f.rel)) continue;
      if ((await insideWorkspace(base.root, f)) === undefined) continue;
      if (found.length === MAX_GLOB_RESULTS) {
        more = true;
        break;
      }
      found.push(displayPath(base.root, f.abs));
    }
    if (found.length === 0) return { output: `no files match ${args.pattern}` };
    if (!more) return { output: found.join("\n") };
    found.push(`[truncated: first ${MAX_GLOB_RESULTS} matches shown; use a narrower pattern or path]`);
    return { output: found.join("\n"), truncated: true };
  },
});

export const GrepParams = Schema.Struct({
  pattern: Schema.String.annotate({ description: "JavaScript regular expression searched for in each line." }),
  path: Schema.optionalKey(
    Schema.String.annotate({ description: "File or directory to search, relative to the workspace. Default: the workspace." }),
  ),
  glob: Schema.optionalKey(
    Schema.String.annotate({ description: "Only search files matching this glob (e.g. *.ts; without '/' it matches the file name)." }),
  ),
  ignore_case: Schema.optionalKey(Schema.Boolean.annotate({ description: "Case-insensitive match. Default false." })),
});

export const grepTool = defineTool({
  name: "grep",
  description:
    `Search file contents in the workspace with a regular expression. Prints file:line:text for each matching line, ` +
    `at most ${MAX_GREP_MATCHES} matches. Binary files and files over ${MAX_EDIT_BYTES / 1024 / 1024} MB are skipped.`,
  source: "builtin",
  dangerous: false,
  params: GrepParams,
  async run(args, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(args.pattern, args.ignore_case ? "i" : "");
    } catch (e) {
      throw new CairnError("bad_request", `invalid regular expression: ${(e as Error).message}`, { reason: "invalid_regex" });
    }
    let only: ((f: WalkedFile) => boolean) | undefined;
    if (args.glob !== undefined) {
      checkGlob(args.glob);
      const g = globToRegExp(args.glob);
      only = args.glob.includes("/") ? (f) => g.test(f.rel) : (f) => g.test(path.posix.basename(f.rel));
    }
    const base = await searchRoot(ctx, args.path);
    const files: AsyncIterable<WalkedFile> = base.isDir
      ? walkFiles(base.real, ctx.signal, args.glob ?? "")
      : single({ rel: path.basename(base.real), abs: base.real, symlink: false });

    const out: string[] = [];
    let bytes = 0;
    let stop: string | undefined;
    search: for await (const f of files) {
      if (only && !only(f)) continue;
      const real = await insideWorkspace(base.root, f);
      if (real === undefined) continue;
      const display = displayPath(base.root, f.abs);
      const text = await readSearchable(real, display);
      if (text === undefined) continue;
      const lines = text.split("\n");
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
        if (!re.test(line)) continue;
        if (out.length === MAX_GREP_MATCHES) {
          stop = `first ${MAX_GREP_MATCHES} matches shown`;
          break search;
        }
        const shown = line.length > MAX_GREP_LINE_CHARS ? `${line.slice(0, MAX_GREP_LINE_CHARS)}… [line cut]` : clipLine(line).text;
        const entry = `${display}:${i + 1}:${shown}`;
        const size = Buffer.byteLength(entry) + 1;
        if (bytes + size > MAX_OUTPUT_BYTES) {
          stop = `output capped at ${MAX_OUTPUT_BYTES / 1024} KB`;
          break search;
        }
        out.push(entry);
        bytes += size;
      }
      throwIfAborted(ctx.signal, "grep");
    }
    if (out.length === 0) return { output: `no matches for /${args.pattern}/` };
    if (stop === undefined) return { output: out.join("\n") };
    out.push(`[truncated: ${stop}; narrow the pattern, path or glob to see the rest]`);
    return { output: out.join("\n"), truncated: true };
  },
});

async function* single(f: WalkedFile): AsyncGenerator<WalkedFile> {
  yield f;
}

/** The file's text, or undefined for what grep skips (binary, too large, vanished, unreadable). */
async function readSearchable(real: string, display: string): Promise<string | undefined> {
  let fh: Awaited<ReturnType<typeof openForRead>>;
  try {
    fh = await openForRead(real, display);
  } catch (e) {
    if (isCairnError(e) || ["EACCES", "EPERM"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw e;
  }
  try {
    if ((await fh.stat()).size > MAX_EDIT_BYTES || (await looksBinary(fh))) return undefined;
    return await fh.readFile({ encoding: "utf8" });
  } finally {
    await fh.close().catch(() => {});
  }
}

export const searchTools: readonly Tool[] = [globTool, grepTool];
