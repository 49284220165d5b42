import { mkdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { pino, type Logger } from "pino";
import { createStream } from "rotating-file-stream";
import { scrubSecrets } from "./secrets.scrub.ts";

/** Levels a gateway log line has, lowest first (pino's names). */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const isLogLevel = (v: unknown): v is LogLevel => typeof v === "string" && (LOG_LEVELS as readonly string[]).includes(v);

export interface LogWriterOptions {
  /** `<data dir>/logs/gateway.log`; rotated files are `gateway.log.1`, `.2`, … (1 newest). */
  readonly file: string;
  /** `[log] level` (default info): lines below it are not written. */
  readonly level: LogLevel;
  /** `[log] max_size_mb`: the file is rotated when it reaches this size. */
  readonly maxBytes: number;
  /** `[log] max_files`: rotated files kept besides the current one. */
  readonly maxFiles: number;
}

export interface LogWriter {
  write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Flushes and closes the file (shutdown). */
  close(): Promise<void>;
}

/** Field names whose values never reach the file, wherever they sit in a line's fields. */
const REDACT = ["*.token", "*.password", "*.secret", "*.apiKey", "*.authorization", "*.cookie", "token", "password", "secret", "apiKey"];

/**
 * The gateway's structured log: one JSON object per line (`{"level":"info","time":"…","msg":"…"}`,
 * pino), rotated by size (rotating-file-stream, classical numbering), file mode 0600. Every message
 * and string field is scrubbed of credential shapes before it is written, and secret-named fields
 * are redacted, so a key quoted in an error never lands on disk.
 */
export function createLogWriter(o: LogWriterOptions): LogWriter {
  mkdirSync(dirname(o.file), { recursive: true, mode: 0o700 });
  const stream = createStream(basename(o.file), {
    path: dirname(o.file),
    size: `${Math.max(1, Math.round(o.maxBytes / 1024))}K`,
    rotate: o.maxFiles,
    mode: 0o600,
  });
  // A full disk or a vanished directory must not take the gateway down through its logger.
  stream.on("error", () => {});
  const logger: Logger = pino(
    {
      level: o.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: "[redacted]" },
    },
    stream,
  );
  const scrubFields = (f: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === "string" ? scrubSecrets(v) : v]));
  return {
    write(level, msg, fields) {
      const text = scrubSecrets(msg);
      if (fields) logger[level](scrubFields(fields), text);
      else logger[level](text);
    },
    close: () =>
      new Promise<void>((resolve) => {
        logger.flush(() => stream.end(() => resolve()));
      }),
  };
}

/**
 * The level of a line from the gateway's `log(line)` callers, which predate levels: failures are
 * worded as such ("failed", "could not", "error"), so `--level warn` finds them. New callers pass
 * a level instead.
 */
export const levelOfLine = (line: string): LogLevel =>
  /\b(failed|failure|could not|cannot|refused|error|errors|lost|stalled|exited|killed|gave up|giving up)\b/i.test(line) ? "warn" : "info";
