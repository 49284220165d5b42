import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import {
  eventLogFamilies,
  httpFamilies,
  llmFamilies,
  nodeFamilies,
  projectionFamilies,
  sandboxFamilies,
  toolFamilies,
} from "./metrics.families.ts";

/** A figure read when scraped (a gauge computed from live state). May be async; null leaves it unset. */
export type Reading = () => number | null | Promise<number | null>;

/**
 * The metrics of one gateway process: its own prom-client registry (never the global default one,
 * so tests and benches can run several gateways in one process), Node's process metrics prefixed
 * `cairn_` (RSS, event-loop lag, GC, handles) and the gateway's families. Each part records into the
 * instruments here; `GET /metrics` and `cairn metrics` read the registry.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly http = httpFamilies(this.registry);
  readonly llm = llmFamilies(this.registry);
  readonly tools = toolFamilies(this.registry);
  readonly sandbox = sandboxFamilies(this.registry);
  readonly nodes = nodeFamilies(this.registry);
  readonly eventLog = eventLogFamilies(this.registry);
  readonly projection = projectionFamilies(this.registry);

  constructor(o: { processMetrics?: boolean } = {}) {
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "cairn_" });
  }

  /**
   * A gauge whose value is read at scrape time (`read`), for figures that live elsewhere (a read
   * model's checkpoint, the nodes connected): nothing is recorded on the hot path. A reading that
   * throws leaves the gauge out of that scrape rather than failing it.
   */
  gauge(name: string, help: string, read: Reading): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.reset();
        const v = await Promise.resolve()
          .then(read)
          .catch(() => null);
        if (v !== null) this.set(v);
      },
    });
  }

  /**
   * A counter kept as a plain number by its owner (a per-token count must cost one addition, not a
   * label lookup) and copied into the registry at scrape time.
   */
  counter(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** The Prometheus text exposition of every family. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every family as prom-client's JSON (name, help, type, values with labels), for `cairn metrics`. */
  json() {
    return this.registry.getMetricsAsJSON();
  }
}
