import * as fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { isCairnError } from "../../schemas/index.ts";
import { createFileAt, openDirPath, openRoot, unlinkAt } from "./workspace.open.ts";
import { isInside } from "./workspace.paths.ts";

/**
 * Output capture shared by every backend: stdout and stderr kept separately up to one cap on
 * both together, everything (both streams, in arrival order) in `<outputDir>/<id>.log` up to
 * `fullOutputMaxBytes`, and the file kept only when the result was truncated.
 *
 * The output dir usually lies in the workspace (`.cairn/outputs`), which commands write: a
 * command can make `.cairn` or `outputs` a symlink to /etc, and the gateway (root) must not write
 * there. So the directory is opened from a handle on the workspace root with no-follow semantics
 * (workspace.open.ts), the file created O_EXCL|O_NOFOLLOW in the held directory and removed
 * through it. When the directory cannot be opened safely, the command still runs and its result
 * says why no full output was kept.
 */
export interface CaptureSpec {
  readonly id: string;
  readonly maxOutputBytes: number;
  readonly outputDir: string;
  /** The directory commands can write (the workspace); the part of `outputDir` below it is walked without following symlinks. */
  readonly workspace?: string | undefined;
  readonly fullOutputMaxBytes: number;
  readonly onOutput?: ((stream: "stdout" | "stderr", chunk: string) => void) | undefined;
}

export interface CapturedOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly fullOutputPath?: string;
  /** Why the full output could not be kept (the output dir was a symlink, ...). */
  readonly fullOutputRefused?: string;
}

export interface OutputCapture {
  write(stream: "stdout" | "stderr", chunk: Buffer): void;
  /** Flushes the file (removed unless truncated) and the streaming decoders. */
  finish(): Promise<CapturedOutput>;
  /** Drops the file: the command never started. */
  discard(): Promise<void>;
}

interface OutputFile {
  readonly dir: FileHandle;
  readonly name: string;
  readonly stream: fs.WriteStream;
}

/** The output dir as a held directory handle, made (without following links) when missing. */
const openOutputDir = async (spec: CaptureSpec): Promise<FileHandle> => {
  const inWorkspace = spec.workspace !== undefined && isInside(spec.workspace, spec.outputDir);
  // Outside any workspace (a node agent's own output dir) the path is the gateway's to trust.
  const base = inWorkspace ? (spec.workspace as string) : spec.outputDir;
  if (!inWorkspace) fs.mkdirSync(base, { recursive: true });
  const root = await openRoot(base);
  try {
    return await openDirPath(root, inWorkspace ? path.relative(base, spec.outputDir).split(path.sep).join("/") : "", true);
  } finally {
    await root.close();
  }
};

const openOutputFile = async (spec: CaptureSpec): Promise<OutputFile> => {
  const dir = await openOutputDir(spec);
  const name = `${spec.id}.log`;
  try {
    const fh = await createFileAt(dir, name);
    return { dir, name, stream: fh.createWriteStream() };
  } catch (e) {
    await dir.close();
    throw e;
  }
};

export const openOutputCapture = async (spec: CaptureSpec): Promise<OutputCapture> => {
  let file: OutputFile | undefined;
  let refused: string | undefined;
  try {
    file = await openOutputFile(spec);
  } catch (e) {
    if (!isCairnError(e) && !["EEXIST", "EACCES", "EPERM", "ENOSPC", "EDQUOT"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
    refused = `the full output could not be kept in ${spec.outputDir}: ${(e as Error).message}`;
  }
  const fullPath = path.join(spec.outputDir, `${spec.id}.log`);
  let fullBytes = 0;
  const kept: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  let keptBytes = 0;
  let truncated = false;
  const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  // A write error (disk full, quota) must not crash the gateway: the file is then incomplete.
  file?.stream.on("error", (e) => {
    refused ??= `the full output could not be written: ${e.message}`;
  });
  const close = async (keep: boolean): Promise<void> => {
    if (!file) return;
    const { dir, name, stream } = file;
    file = undefined;
    await new Promise<void>((r) => (stream.errored || stream.destroyed ? r() : stream.end(r)));
    stream.destroy();
    try {
      if (!keep) await unlinkAt(dir, name);
    } finally {
      await dir.close();
    }
  };
  return {
    write: (stream, chunk) => {
      if (file && fullBytes < spec.fullOutputMaxBytes) {
        const part = chunk.subarray(0, spec.fullOutputMaxBytes - fullBytes);
        file.stream.write(part);
        fullBytes += part.length;
        if (fullBytes >= spec.fullOutputMaxBytes) file.stream.write(`\n[cairn: output beyond ${spec.fullOutputMaxBytes} bytes dropped]\n`);
      }
      const room = spec.maxOutputBytes - keptBytes;
      if (room > 0) {
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
        kept[stream].push(part);
        keptBytes += part.length;
      }
      if (chunk.length > room) truncated = true;
      if (spec.onOutput) {
        const text = decoders[stream].write(chunk);
        if (text) spec.onOutput(stream, text);
      }
    },
    finish: async () => {
      const had = file !== undefined;
      await close(truncated);
      for (const s of ["stdout", "stderr"] as const) {
        const rest = decoders[s].end();
        if (rest && spec.onOutput) spec.onOutput(s, rest);
      }
      const base = { stdout: Buffer.concat(kept.stdout).toString("utf8"), stderr: Buffer.concat(kept.stderr).toString("utf8"), truncated };
      if (!truncated) return base;
      return had && refused === undefined
        ? { ...base, fullOutputPath: fullPath }
        : { ...base, ...(refused ? { fullOutputRefused: refused } : {}) };
    },
    discard: () => close(false),
  };
};
