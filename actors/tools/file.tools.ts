import * as Schema from "effect/Schema";
import { CairnError } from "../../schemas/index.ts";
import {
  MAX_EDIT_BYTES,
  MAX_OUTPUT_BYTES,
  atomicWrite,
  checkDiskQuota,
  clipLine,
  looksBinary,
  openForRead,
  throwIfAborted,
} from "./file.io.ts";
import { writableTarget } from "./file.guard.ts";
import { defineTool, type Tool } from "./tool.registry.ts";
import { resolveInWorkspace } from "./workspace.ts";

const PathField = Schema.String.annotate({ description: "File path, relative to the workspace (or absolute inside it)." });
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
export const DEFAULT_READ_LINES = 2000;

export const ReadFileParams = Schema.Struct({
  path: PathField,
  offset: Schema.optionalKey(PositiveInt.annotate({ description: "First line to read (1-based). Default 1." })),
  limit: Schema.optionalKey(PositiveInt.annotate({ description: `Maximum number of lines. Default ${DEFAULT_READ_LINES}.` })),
  line_numbers: Schema.optionalKey(Schema.Boolean.annotate({ description: "Prefix each line with its number. Default true." })),
});

export const readFileTool = defineTool({
  name: "read_file",
  description:
    `Read a text file from the workspace. Returns up to ${DEFAULT_READ_LINES} lines (or \`limit\`) from \`offset\`, ` +
    `at most ${MAX_OUTPUT_BYTES / 1024} KB; when more remains, the output ends with the offset to continue from.`,
  source: "builtin",
  dangerous: false,
  readOnly: true,
  params: ReadFileParams,
  async run(args, ctx) {
    const target = await resolveInWorkspace(ctx.workspace, args.path);
    const fh = await openForRead(target);
    try {
      if (await looksBinary(fh)) {
        throw new CairnError("bad_request", `${target.display} looks like a binary file; read_file reads text only`, {
          reason: "binary",
          path: target.display,
        });
      }
      const offset = args.offset ?? 1;
      const limit = args.limit ?? DEFAULT_READ_LINES;
      const numbered = args.line_numbers ?? true;
      const out: string[] = [];
      let bytes = 0;
      let n = 0;
      let stop: "limit" | "bytes" | undefined;
      let clipped = false;
      for await (const raw of fh.readLines({ encoding: "utf8" })) {
        n++;
        if (n < offset) continue;
        if (out.length === limit) {
          stop = "limit";
          break;
        }
        const line = clipLine(raw.endsWith("\r") ? raw.slice(0, -1) : raw);
        const entry = numbered ? `${String(n).padStart(6)}\t${line.text}` : line.text;
        const size = Buffer.byteLength(entry) + 1;
        if (bytes + size > MAX_OUTPUT_BYTES && out.length > 0) {
          stop = "bytes";
          break;
        }
        out.push(entry);
        bytes += size;
        clipped ||= line.clipped;
        if (n % 1000 === 0) throwIfAborted(ctx.signal, "read_file");
      }
      if (out.length === 0) {
        return {
          output: n === 0 ? `(${target.display} is empty)` : `(${target.display} has ${n} lines; offset ${offset} is past the end)`,
        };
      }
      const last = offset + out.length - 1;
      if (stop === undefined) return { output: out.join("\n"), ...(clipped ? { truncated: true } : {}) };
      const why = stop === "bytes" ? `output capped at ${MAX_OUTPUT_BYTES / 1024} KB` : `showing ${out.length} lines`;
      out.push(`[truncated: ${why} (lines ${offset}-${last}); more lines follow — call read_file with offset=${last + 1} to continue]`);
      return { output: out.join("\n"), truncated: true };
    } finally {
      await fh.close().catch(() => {});
    }
  },
});

export const WriteFileParams = Schema.Struct({
  path: PathField,
  content: Schema.String.annotate({ description: "The complete new content of the file." }),
});

export const writeFileTool = defineTool({
  name: "write_file",
  description:
    "Create or overwrite a file in the workspace with the given content (parent directories are created). " +
    "The write is atomic. To change part of an existing file prefer edit_file. " +
    "Files that later commands execute (.git/, .gitconfig, .envrc, .cairn/, shell start-up files) need the user's approval.",
  source: "builtin",
  dangerous: false,
  params: WriteFileParams,
  async run(args, ctx) {
    if (Buffer.byteLength(args.content) > MAX_EDIT_BYTES) {
      throw new CairnError("bad_request", `content is larger than ${MAX_EDIT_BYTES / 1024 / 1024} MB`, { reason: "too_large" });
    }
    const target = await writableTarget(ctx.workspace, args.path, ctx.approved);
    if (target.display === ".") throw new CairnError("bad_request", "path names the workspace itself, not a file");
    await checkDiskQuota(target, Buffer.byteLength(args.content), ctx.diskQuotaBytes);
    const { created } = await atomicWrite(target, args.content);
    return { output: `${created ? "created" : "overwrote"} ${target.display} (${Buffer.byteLength(args.content)} bytes)` };
  },
});

export const EditFileParams = Schema.Struct({
  path: PathField,
  old_string: Schema.String.annotate({ description: "Exact text to replace (including whitespace and indentation)." }),
  new_string: Schema.String.annotate({ description: "Text to put in its place." }),
  replace_all: Schema.optionalKey(
    Schema.Boolean.annotate({ description: "Replace every occurrence. Default false: old_string must occur exactly once." }),
  ),
});

export const editFileTool = defineTool({
  name: "edit_file",
  description:
    "Replace an exact string in a workspace file. old_string must match exactly once unless replace_all is true; " +
    "include enough surrounding context to make it unique.",
  source: "builtin",
  dangerous: false,
  params: EditFileParams,
  async run(args, ctx) {
    if (args.old_string === "") throw new CairnError("bad_request", "old_string must not be empty; use write_file to create a file");
    if (args.old_string === args.new_string) throw new CairnError("bad_request", "old_string and new_string are identical");
    const target = await writableTarget(ctx.workspace, args.path, ctx.approved);
    const fh = await openForRead(target);
    let text: string;
    try {
      if ((await fh.stat()).size > MAX_EDIT_BYTES) {
        throw new CairnError("bad_request", `${target.display} is larger than ${MAX_EDIT_BYTES / 1024 / 1024} MB`, { reason: "too_large" });
      }
      if (await looksBinary(fh)) throw new CairnError("bad_request", `${target.display} looks like a binary file`, { reason: "binary" });
      text = await fh.readFile({ encoding: "utf8" });
    } finally {
      await fh.close().catch(() => {});
    }
    const parts = text.split(args.old_string);
    const count = parts.length - 1;
    if (count === 0) {
      throw new CairnError("bad_request", `old_string was not found in ${target.display}; read the file and copy the text exactly`, {
        reason: "not_found",
        path: target.display,
      });
    }
    if (count > 1 && args.replace_all !== true) {
      throw new CairnError(
        "bad_request",
        `old_string occurs ${count} times in ${target.display}; add surrounding context to make it unique, or set replace_all to true`,
        { reason: "ambiguous", path: target.display, occurrences: count },
      );
    }
    // split/join, not String.replace: a "$&" in new_string must stay literal.
    const edited = parts.join(args.new_string);
    await checkDiskQuota(target, Buffer.byteLength(edited), ctx.diskQuotaBytes);
    await atomicWrite(target, edited);
    return { output: `replaced ${count} occurrence${count === 1 ? "" : "s"} in ${target.display}` };
  },
});

export const fileTools: readonly Tool[] = [readFileTool, writeFileTool, editFileTool];
