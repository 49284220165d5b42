/**
 * The remote-exec report (`nodes.doctor`) as the page shows it. The report's shape belongs to the
 * gateway and may grow, so it is read generically: problems (any list under a key such as
 * `warnings`, `problems` or `issues`) are pulled out and shown first, loudly; everything else is
 * shown as labelled sections. Pure: no state, no requests.
 */

export type DoctorProblem = { message: string; hint: string | null; level: string };
export type DoctorSection = { key: string; title: string; value: unknown };
export type DoctorView = { ok: boolean | null; problems: DoctorProblem[]; sections: DoctorSection[] };

const PROBLEM_KEYS = /^(warnings?|problems?|issues?|misconfigurations?|errors?)$/i;

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);

/** "pairingWindow" → "Pairing window", "paired_nodes" → "Paired nodes". */
export function titleOf(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function problemOf(u: unknown): DoctorProblem {
  if (typeof u === "string") return { message: u, hint: null, level: "warning" };
  if (isRecord(u)) {
    const message = [u.message, u.text, u.problem, u.title, u.code].find((v) => typeof v === "string") as string | undefined;
    const hint = [u.hint, u.fix, u.suggestion].find((v) => typeof v === "string") as string | undefined;
    const level = typeof u.level === "string" ? u.level : typeof u.severity === "string" ? u.severity : "warning";
    return { message: message ?? JSON.stringify(u), hint: hint ?? null, level };
  }
  return { message: String(u), hint: null, level: "warning" };
}

export function doctorView(report: unknown): DoctorView {
  if (!isRecord(report))
    return { ok: null, problems: [], sections: report == null ? [] : [{ key: "report", title: "Report", value: report }] };
  const problems: DoctorProblem[] = [];
  const sections: DoctorSection[] = [];
  for (const [key, value] of Object.entries(report)) {
    if (key === "ok" && typeof value === "boolean") continue;
    if (PROBLEM_KEYS.test(key) && Array.isArray(value)) problems.push(...value.map(problemOf));
    else sections.push({ key, title: titleOf(key), value });
  }
  const ok = typeof report.ok === "boolean" ? report.ok : null;
  return { ok, problems, sections };
}

/** A scalar as text: times (keys ending in `At`/`until`, epoch ms) as local dates. */
export function scalarText(key: string, v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" && /(At|until|Until)$/.test(key) && v > 1e12) return new Date(v).toLocaleString();
  return String(v);
}

export const isScalar = (v: unknown): boolean => v === null || typeof v !== "object";

/** Rows of flat objects make a table: the union of their keys, in first-seen order. */
export function tableColumns(rows: unknown[]): string[] | null {
  if (rows.length === 0 || !rows.every((r) => isRecord(r) && Object.values(r).every(isScalar))) return null;
  const cols: string[] = [];
  for (const r of rows as Record<string, unknown>[]) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

export { isRecord };
