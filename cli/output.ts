import { isCairnError } from "../schemas/index.ts";
import { EXIT_FAILED, EXIT_USAGE, UsageError } from "./usage.ts";

export { EXIT_FAILED, EXIT_USAGE, UsageError };

/** One clear line on stderr, the stable code in brackets, and the exit code. */
export const fail = (e: unknown, json = false): number => {
  const code = isCairnError(e) ? e.code : e instanceof UsageError ? "usage" : "internal";
  const message = e instanceof Error ? e.message : String(e);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  else process.stderr.write(`cairn: ${message}${code !== "usage" && code !== "internal" ? ` [${code}]` : ""}\n`);
  return e instanceof UsageError || code === "bad_request" ? EXIT_USAGE : EXIT_FAILED;
};

/** Columns padded to their widest cell, two spaces apart; the first row is the header. */
export const table = (rows: readonly (readonly string[])[]): string => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return rows.map((r) => `${line(r)}\n`).join("");
};

const pad = (n: number) => String(n).padStart(2, "0");
/** Local time, to the second: what a person compares with their clock. */
export const localTime = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

/** A progress bar on a terminal; sparse lines otherwise (logs, CI). */
export const progressBar = (label: string) => {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  return {
    update(done: number, total: number) {
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (pct === lastPct) return;
      if (tty) {
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        process.stderr.write(
          `\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}`,
        );
      } else if (pct === 100 || pct - lastPct >= 10 || lastPct < 0) {
        process.stderr.write(`${label}: ${pct}% (${done}/${total})\n`);
      } else return;
      lastPct = pct;
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
};
