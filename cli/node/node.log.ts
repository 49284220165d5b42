/**
 * The node's log: one JSON object per line in `<dataDir>/logs/node.log` (what `cairn node logs`
 * points at), and a readable line on stderr for a foreground run or the service journal. The file
 * rotates at 5 MB, keeping 3 old files, so a node left running for months does not fill its disk.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface NodeLogger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ROTATE_BYTES = 5 * 1024 * 1024;
const KEEP = 3;

export interface NodeLoggerOptions {
  /** Omit for no file (tests, `--json` runs). */
  readonly file?: string;
  /** Human lines; default stderr. `null` = silent. */
  readonly console?: ((line: string) => void) | null;
  readonly now?: () => number;
}

export function createNodeLogger(opts: NodeLoggerOptions = {}): NodeLogger {
  const now = opts.now ?? Date.now;
  const out = opts.console === undefined ? (line: string) => process.stderr.write(`${line}\n`) : opts.console;
  if (opts.file) mkdirSync(dirname(opts.file), { recursive: true });
  let size = (() => {
    try {
      return opts.file ? statSync(opts.file).size : 0;
    } catch {
      return 0;
    }
  })();
  const rotate = (file: string): void => {
    try {
      rmSync(`${file}.${KEEP}`, { force: true });
      for (let i = KEEP - 1; i >= 1; i--) {
        try {
          renameSync(`${file}.${i}`, `${file}.${i + 1}`);
        } catch {}
      }
      renameSync(file, `${file}.1`);
    } catch {}
    size = 0;
  };
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    const at = now();
    if (opts.file) {
      const line = `${JSON.stringify({ at: new Date(at).toISOString(), level, msg, ...fields })}\n`;
      try {
        if (size + line.length > ROTATE_BYTES) rotate(opts.file);
        appendFileSync(opts.file, line);
        size += Buffer.byteLength(line);
      } catch {
        // a full disk must not stop the node from running commands
      }
    }
    if (out) {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      out(`${new Date(at).toISOString().slice(11, 19)} ${level.padEnd(5)} ${msg}${extra ? ` ${extra}` : ""}`);
    }
  };
  return {
    log,
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
  };
}
