import * as fs from "node:fs";
import * as path from "node:path";
import { StringDecoder } from "node:string_decoder";

/**
 * Output capture shared by every backend: stdout and stderr kept separately up to one cap on
 * both together, everything (both streams, in arrival order) in `<outputDir>/<id>.log` up to
 * `fullOutputMaxBytes`, and the file kept only when the result was truncated.
 */
export interface CaptureSpec {
  readonly id: string;
  readonly maxOutputBytes: number;
  readonly outputDir: string;
  readonly fullOutputMaxBytes: number;
  readonly onOutput?: ((stream: "stdout" | "stderr", chunk: string) => void) | undefined;
}

export interface CapturedOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly fullOutputPath?: string;
}

export interface OutputCapture {
  write(stream: "stdout" | "stderr", chunk: Buffer): void;
  /** Flushes the file (removed unless truncated) and the streaming decoders. */
  finish(): Promise<CapturedOutput>;
  /** Drops the file: the command never started. */
  discard(): void;
}

export const openOutputCapture = (spec: CaptureSpec): OutputCapture => {
  fs.mkdirSync(spec.outputDir, { recursive: true });
  const fullPath = path.join(spec.outputDir, `${spec.id}.log`);
  const full = fs.createWriteStream(fullPath);
  let fullBytes = 0;
  const kept: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  let keptBytes = 0;
  let truncated = false;
  const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  return {
    write: (stream, chunk) => {
      if (fullBytes < spec.fullOutputMaxBytes) {
        const part = chunk.subarray(0, spec.fullOutputMaxBytes - fullBytes);
        full.write(part);
        fullBytes += part.length;
        if (fullBytes >= spec.fullOutputMaxBytes) full.write(`\n[cairn: output beyond ${spec.fullOutputMaxBytes} bytes dropped]\n`);
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
      await new Promise<void>((r) => full.end(r));
      for (const s of ["stdout", "stderr"] as const) {
        const rest = decoders[s].end();
        if (rest && spec.onOutput) spec.onOutput(s, rest);
      }
      if (!truncated) fs.rmSync(fullPath, { force: true });
      const base = { stdout: Buffer.concat(kept.stdout).toString("utf8"), stderr: Buffer.concat(kept.stderr).toString("utf8"), truncated };
      return truncated ? { ...base, fullOutputPath: fullPath } : base;
    },
    discard: () => {
      full.destroy();
      fs.rmSync(fullPath, { force: true });
    },
  };
};
