import { request, subjects } from "../../bus/index.ts";
import { decodeOrFail, MetricsReply, type MetricFamily } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { gatewayIdOf } from "../gateway/gateway-id.ts";
import type { Paths } from "../paths.ts";

const labelText = (labels: Readonly<Record<string, string | number>>): string => {
  const pairs = Object.entries(labels);
  return pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
};

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, ""));

/**
 * The figures as a person reads them: one line per series, families in the registry's order. A
 * histogram shows its count, sum and mean per label set (the buckets are for Prometheus). Families
 * with nothing recorded yet are left out.
 */
export const formatMetrics = (families: readonly MetricFamily[]): string => {
  const out: string[] = [];
  for (const f of families) {
    if (f.type === "histogram") {
      const series = new Map<string, { count: number; sum: number }>();
      for (const s of f.values) {
        if (s.metricName?.endsWith("_bucket")) continue;
        const key = labelText(s.labels);
        const e = series.get(key) ?? { count: 0, sum: 0 };
        if (s.metricName?.endsWith("_count")) e.count = s.value;
        else if (s.metricName?.endsWith("_sum")) e.sum = s.value;
        series.set(key, e);
      }
      for (const [key, e] of series)
        if (e.count > 0) out.push(`${f.name}${key}  count ${e.count}  sum ${num(e.sum)}  mean ${num(e.sum / e.count)}`);
    } else {
      for (const s of f.values) out.push(`${f.name}${labelText(s.labels)}  ${num(s.value)}`);
    }
  }
  return `${out.join("\n")}\n`;
};

/** `cairn metrics [--json]`: this data dir's gateway's current figures (the same registry as GET /metrics). */
export async function metrics(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const id = gatewayIdOf(paths.gatewayIdFile);
    if (!id) throw new Error(`no gateway id in ${paths.gatewayIdFile}: has a gateway run on this data dir?`);
    const r = decodeOrFail(MetricsReply, await request(nc, subjects.gatewayMetrics(id), {}), "metrics");
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (!r.enabled) process.stdout.write("metrics are off on this gateway ([telemetry] metrics = false)\n");
    else process.stdout.write(formatMetrics(r.families));
    return 0;
  } finally {
    await nc.close();
  }
}
