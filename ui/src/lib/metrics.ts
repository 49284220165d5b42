import type { MetricsHistory, SessionCost } from "../../../schemas/index.ts";
import type { WireError } from "./wire.ts";

/**
 * The Monitoring page's data: `GET /api/metrics` (the gateway's per-minute history, bucketed) and a
 * session's cost (`?session=`). Same-origin fetches: a loopback browser needs no login, a remote one
 * sends its session cookie, exactly as for the WebSocket.
 */

export type { MetricsHistory, SessionCost };

/** The windows the page offers, each with a step that keeps a chart readable (60-100 buckets). */
export const RANGES = [
  { id: "1h", label: "1 hour", step: "1m" },
  { id: "6h", label: "6 hours", step: "5m" },
  { id: "24h", label: "24 hours", step: "15m" },
  { id: "7d", label: "7 days", step: "2h" },
  { id: "30d", label: "30 days", step: "6h" },
] as const;
export type RangeId = (typeof RANGES)[number]["id"];
export const DEFAULT_RANGE: RangeId = "24h";
/** While the page is open and visible it refreshes this often. */
export const MONITORING_POLL_MS = 15_000;

export const isRange = (v: string | null): v is RangeId => RANGES.some((r) => r.id === v);

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The reply's JSON, or a thrown WireError-shaped error naming what the gateway said. */
async function getJson<T>(path: string, f: Fetch): Promise<T> {
  let res: Response;
  try {
    res = await f(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  } catch (e) {
    throw { code: "unavailable", message: `the gateway did not answer: ${(e as Error).message}` } satisfies WireError;
  }
  const body = (await res.json().catch(() => null)) as { error?: WireError } | null;
  if (!res.ok || body === null) throw body?.error ?? ({ code: "internal", message: `HTTP ${res.status}` } satisfies WireError);
  return body as T;
}

export function fetchHistory(range: RangeId, f: Fetch = fetch): Promise<MetricsHistory> {
  const r = RANGES.find((x) => x.id === range) ?? RANGES[2];
  return getJson<MetricsHistory>(`/api/metrics?range=${r.id}&step=${r.step}`, f);
}

export const fetchSessionCost = (sessionKey: string, f: Fetch = fetch): Promise<SessionCost> =>
  getJson<SessionCost>(`/api/metrics?session=${encodeURIComponent(sessionKey)}`, f);

/** "$0.42", "$0.0031", "<$0.0001", "$12.30": cents for big sums, four significant places for small ones. */
export function usd(n: number | null): string {
  if (n === null) return "—";
  if (n === 0) return "$0";
  if (n < 0.0001) return "<$0.0001";
  if (n < 1) return `$${n.toPrecision(2).replace(/0+$/, "").replace(/\.$/, "")}`;
  return `$${n.toFixed(2)}`;
}

/** "850", "12.4k", "3.1M". */
export function count(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${+(n / 1000).toFixed(1)}k`;
  return `${+(n / 1_000_000).toFixed(1)}M`;
}

/** "850 ms", "2.4 s". */
export const ms = (n: number | null): string => (n === null ? "—" : n < 1000 ? `${Math.round(n)} ms` : `${+(n / 1000).toFixed(1)} s`);

/** Sum of a series (nulls are unknowns, left out). */
export const total = (a: readonly (number | null)[]): number => a.reduce<number>((s, v) => s + (v ?? 0), 0);

/** Chart colours for series in order: distinct in light and dark themes. */
export const PALETTE = ["#2f6fdf", "#e0771b", "#1a9a5b", "#c23b8a", "#7a5cd6", "#b59a00", "#0f9bb0", "#d14343"];

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  values: readonly (number | null)[];
  color?: string;
  /** Dashed and unfilled: a derived figure (a percentile next to the average). */
  dashed?: boolean;
}
