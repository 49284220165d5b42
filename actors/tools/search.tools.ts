import { stat, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import * as Schema from "effect/Schema";
import { openDirPath, openFileAt, openRoot } from "../sandbox/index.ts";
import { CairnError, isCairnError } from "../../schemas/index.ts";
import { MAX_EDIT_BYTES, MAX_OUTPUT_BYTES, clipLine, looksBinary, openForRead, throwIfAborted } from "./file.io.ts";
import { checkGlob, globToRegExp, walkFiles, type WalkedFile } from "./glob.match.ts";
import { defineTool, type Tool, type ToolContext } from "./tool.registry.ts";
import { resolveInWorkspace, type WorkspacePath } from "./workspace.ts";

export const MAX_GLOB_RESULTS = 1000;
export const MAX_GREP_MATCHES = 500;
const MAX_GREP_LINE_CHARS = 500;

const SearchRoot = Schema.String.annotate({ description: "Directory to search in, relative to the workspace. Default: the workspace." });

/**
 * Where a search starts: the checked path, and for a directory a handle on it (opened from the
 * workspace root with no-follow semantics) that the walk descends from. `close` releases it.
 */
interface SearchBase extends WorkspacePath {
  readonly dir: FileHandle | undefined;
  close(): Promise<void>;
}

async function searchRoot(ctx: ToolContext, p: string | undefined): Promise<SearchBase> {
  const target = await resolveInWorkspace(ctx.workspace, p ?? ".");
  const root = await openRoot(target.root);
  try {
    const dir = await openDirPath(root, target.display === "." ? "" : target.display).catch(async (e) => {
      // Not a directory: a single file to grep (or nothing at all).
      const st = await stat(target.real).catch(() => undefined);
      if (st === undefined)
        throw new CairnError("bad_request", `path not found: ${target.display}`, { reason: "not_found", path: target.display });
      if (st.isDirectory()) throw e;
      return undefined;
    });
    return { ...target, dir, close: async () => dir?.close() };
  } finally {
    await root.close();
  }
}

/** `rel` of a walked file as the workspace-relative path messages show. */
const under = (base: WorkspacePath, rel: string): string => (base.display === "." ? rel : `${base.display}/${rel}`);

/**
 * Opens a walked file for reading. A plain entry is opened in its held directory (O_NOFOLLOW); a
 * symlink counts only if it resolves to a regular file still inside the workspace, and is then
 * opened by its resolved path, walked again with no-follow semantics. Undefined: skip it.
 */
async function openWalked(base: WorkspacePath, f: WalkedFile): Promise<FileHandle | undefined> {
  const display = under(base, f.rel);
  try {
    if (!f.symlink) return await openFileAt(f.dir, f.name, display);
    return await openForRead(await resolveInWorkspace(base.root, display));
  } catch (e) {
    if (isCairnError(e) || ["EACCES", "EPERM", "ENOENT"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw e;
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
  readOnly: true,
  params: GlobParams,
  async run(args, ctx) {
    checkGlob(args.pattern);
    const re = globToRegExp(args.pattern);
    const base = await searchRoot(ctx, args.path);
    const found: string[] = [];
    let more = false;
    try {
      if (base.dir === undefined) throw new CairnError("bad_request", `${base.display} is not a directory`, { reason: "not_a_directory" });
      for await (const f of walkFiles(base.dir, ctx.signal, args.pattern)) {
        if (!re.test(f.rel)) continue;
        if (f.symlink) {
          const fh = await openWalked(base, f);
          if (fh === undefined) continue;
          await fh.close();
        }
        if (found.length === MAX_GLOB_RESULTS) {
          more = true;
          break;
        }
        found.push(under(base, f.rel));
      }
    } finally {
      await base.close();
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
  readOnly: true,
  params: GrepParams,
  async run(args, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(args.pattern, args.ignore_case ? "i" : "");
    } catch (e) {
      throw new CairnError("bad_request", `invalid regular expression: ${(e as Error).message}`, { reason: "invalid_regex" });
    }
    let only: ((rel: string) => boolean) | undefined;
    if (args.glob !== undefined) {
      checkGlob(args.glob);
      const g = globToRegExp(args.glob);
      only = args.glob.includes("/") ? (rel) => g.test(rel) : (rel) => g.test(path.posix.basename(rel));
    }
    const base = await searchRoot(ctx, args.path);
    const out: string[] = [];
    let bytes = 0;
    let stop: string | undefined;
    try {
      const files: AsyncIterable<{ display: string; open: () => Promise<FileHandle | undefined> }> = base.dir
        ? mapWalk(walkFiles(base.dir, ctx.signal, args.glob ?? ""), base, only)
        : single({ display: base.display, open: () => openForRead(base).catch(() => undefined) });
      search: for await (const f of files) {
        const text = await readSearchable(await f.open());
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
          const entry = `${f.display}:${i + 1}:${shown}`;
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
    } finally {
      await base.close();
    }
    if (out.length === 0) return { output: `no matches for /${args.pattern}/` };
    if (stop === undefined) return { output: out.join("\n") };
    out.push(`[truncated: ${stop}; narrow the pattern, path or glob to see the rest]`);
    return { output: out.join("\n"), truncated: true };
  },
});

async function* single<T>(f: T): AsyncGenerator<T> {
  yield f;
}

/** Walked files (filtered by `only`), each opened while the walk still holds its directory. */
async function* mapWalk(
  files: AsyncIterable<WalkedFile>,
  base: WorkspacePath,
  only: ((rel: string) => boolean) | undefined,
): AsyncGenerator<{ display: string; open: () => Promise<FileHandle | undefined> }> {
  for await (const f of files) {
    if (only && !only(f.rel)) continue;
    yield { display: under(base, f.rel), open: () => openWalked(base, f) };
  }
}

/** The file's text, or undefined for what grep skips (binary, too large, vanished, unreadable). */
async function readSearchable(fh: FileHandle | undefined): Promise<string | undefined> {
  if (fh === undefined) return undefined;
  try {
    if ((await fh.stat()).size > MAX_EDIT_BYTES || (await looksBinary(fh))) return undefined;
    return await fh.readFile({ encoding: "utf8" });
  } finally {
    await fh.close().catch(() => {});
  }
}

export const searchTools: readonly Tool[] = [globTool, grepTool];
