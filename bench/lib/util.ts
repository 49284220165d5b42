/**
 * Small helpers shared by the benchmark sections: clocks, statistics, process memory and a
 * cleanup registry that every section puts its processes and temp dirs on.
 */
import { readdirSync, readFileSync } from "node:fs";

/** High-resolution wall clock in epoch ms, comparable with the LLM fixture's `firstByteAt`. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile (p in 0..100) of unsorted numbers; NaN when empty. */
export const percentile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(s.length, rank) - 1];
};

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export const summarize = (xs: readonly number[]): Summary => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p90: percentile(xs, 90),
  p99: percentile(xs, 99),
  min: xs.length ? Math.min(...xs) : NaN,
  max: xs.length ? Math.max(...xs) : NaN,
  mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN,
});

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** VmRSS and VmHWM (peak) of a process in MB, from /proc/<pid>/status; null when it is gone. */
export const processMemory = (pid: number): { rssMb: number; peakMb: number } | null => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
};

/** User + system CPU time a process has used so far, in ms (/proc/<pid>/stat, 100 Hz ticks). */
export const cpuTimeMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after "pid (comm)".
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
  } catch {
    return NaN;
  }
};

/** Direct children of `pid` with their command names (scans /proc/<n>/stat). */
export const childProcesses = (pid: number): Array<{ pid: number; comm: string }> => {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // comm may contain spaces and parentheses: the fields after the last ')' are fixed.
      const close = stat.lastIndexOf(")");
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === pid) out.push({ pid: Number(name), comm: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // exited while scanning
    }
  }
  return out;
};

/**
 * Everything a section creates is registered here and undone in reverse order, on success, on
 * failure and on Ctrl-C. Each undo runs once and its errors are swallowed (best effort).
 */
export class Cleanup {
  private readonly undo: Array<{ name: string; fn: () => unknown }> = [];

  add(name: string, fn: () => unknown): () => Promise<void> {
    const entry = { name, fn };
    this.undo.push(entry);
    return async () => {
      const i = this.undo.indexOf(entry);
      if (i < 0) return;
      this.undo.splice(i, 1);
      await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    };
  }

  async runAll(): Promise<void> {
    while (this.undo.length > 0) {
      const { fn } = this.undo.pop()!;
      await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }
  }
}

/**
 * Ctrl-C, SIGTERM and the time limit end a bench the same way: undo what it created, then exit
 * (130, 143, 2), so a stuck run never leaves a nats-server or a gateway behind.
 */
export function cleanUpOnAbort(cleanup: Cleanup, timeLimitMs: number, log: (line: string) => void): void {
  let interrupted = false;
  const abort = (why: string, code: number) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${why}: cleaning up…`);
    void cleanup.runAll().finally(() => process.exit(code));
  };
  process.on("SIGINT", () => abort("SIGINT", 130));
  process.on("SIGTERM", () => abort("SIGTERM", 143));
  setTimeout(() => abort(`time limit (${timeLimitMs / 1000} s) exceeded`, 2), timeLimitMs).unref();
}
