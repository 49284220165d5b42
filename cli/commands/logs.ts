import { closeSync, existsSync, openSync, readSync, readFileSync, statSync } from "node:fs";
import { CairnError } from "../../schemas/index.ts";
import type { Paths } from "../paths.ts";
import { atLeast, formatLine, parseLine, type Level } from "./logs.format.ts";

export interface LogsOptions {
  readonly follow: boolean;
  readonly level: Level;
  readonly json: boolean;
  /** Lines shown before following (the newest). */
  readonly lines: number;
  /** Ends `--follow` (tests; the command itself stops on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  readonly write?: (text: string) => void;
  readonly pollMs?: number;
}

/** The newest `n` stored lines, from the current file and the rotated ones before it (`.1`, `.2`, …). */
function lastLines(file: string, n: number, keep: (raw: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n && i <= 100; i++) {
    const f = i === 0 ? file : `${file}.${i}`;
    if (!existsSync(f)) {
      if (i === 0) continue;
      break;
    }
    const lines = readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l !== "" && keep(l));
    out.unshift(...lines.slice(-(n - out.length)));
  }
  return out;
}

/**
 * `cairn logs`: the gateway's structured log (`<data dir>/logs/gateway.log`), the newest lines at
 * or above a level, pretty by default or as the stored JSON lines; `--follow` keeps printing what
 * is appended, across rotations (a new, smaller file is read from its start).
 */
export async function logs(o: LogsOptions, paths: Paths): Promise<number> {
  const file = paths.logFile;
  const write = o.write ?? ((t: string) => process.stdout.write(t));
  const color = !o.json && o.write === undefined && process.stdout.isTTY === true;
  const keep = (raw: string) => atLeast(parseLine(raw), o.level);
  const show = (raw: string) => write(`${o.json ? raw : formatLine(parseLine(raw), color)}\n`);
  if (!o.follow && !existsSync(file)) {
    throw new CairnError(
      "not_found",
      `no gateway log at ${file} yet: the gateway writes it once it has run here (CAIRN_DATA_DIR=${paths.dataDir})`,
    );
  }
  for (const raw of lastLines(file, o.lines, keep)) show(raw);
  if (!o.follow) return 0;

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  o.signal?.addEventListener("abort", onSignal, { once: true });
  let offset = existsSync(file) ? statSync(file).size : 0;
  let ino = existsSync(file) ? statSync(file).ino : 0;
  let partial = "";
  try {
    while (!stop.signal.aborted) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.pollMs ?? 250);
        stop.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
      if (!existsSync(file)) continue;
      const st = statSync(file);
      // Rotated: the name now holds a new file (another inode, or shorter than what was read).
      if (st.ino !== ino || st.size < offset) {
        ino = st.ino;
        offset = 0;
        partial = "";
      }
      if (st.size === offset) continue;
      const fd = openSync(file, "r");
      try {
        const buf = Buffer.alloc(st.size - offset);
        const got = readSync(fd, buf, 0, buf.length, offset);
        offset += got;
        const text = partial + buf.subarray(0, got).toString("utf8");
        const lines = text.split("\n");
        // The last piece has no newline yet: it is the start of a line still being written.
        partial = lines.pop() ?? "";
        for (const raw of lines) if (raw !== "" && keep(raw)) show(raw);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return 0;
}
