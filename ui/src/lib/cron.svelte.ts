import { asWireError, type GatewayClient } from "./client.ts";
import type { CronJobRow, CronRunRow, MethodParams, WireError } from "./wire.ts";

/** How often the open Cron page asks again: runs start and end on the gateway's clock, with no live message. */
export const CRON_POLL_MS = 4_000;

/**
 * The cron jobs (`cron.list`), the history of the jobs whose history is open (`cron.runs`), and
 * the commands on them. There is no live message for cron: the page polls while it is open and
 * visible, and every command is followed by a fresh list, so what it shows is the gateway's word.
 */
export class CronStore {
  jobs = $state<readonly CronJobRow[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);
  /** Each open history, by job name. */
  runs = $state<Record<string, readonly CronRunRow[]>>({});
  /** Job names with a command on its way: their buttons wait. */
  busy = $state<Record<string, boolean>>({});
  /** When the list was last fetched (the page shows it next to Refresh). */
  updatedAt = $state<number | null>(null);

  readonly #client: GatewayClient;
  #inFlight: Promise<void> | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** Fetches the list and the open histories; a call while one is in flight joins it. */
  load(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        const { jobs } = await this.#client.request("cron.list", {});
        this.jobs = jobs;
        this.loaded = true;
        this.error = null;
        this.updatedAt = Date.now();
        const names = new Set(jobs.map((j) => j.name));
        await Promise.all(Object.keys(this.runs).map((n) => (names.has(n) ? this.loadRuns(n) : this.closeRuns(n))));
      } catch (e) {
        this.error = asWireError(e);
      }
    })().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  async loadRuns(name: string): Promise<WireError | null> {
    try {
      const { runs } = await this.#client.request("cron.runs", { name, limit: 20 });
      this.runs = { ...this.runs, [name]: runs };
      return null;
    } catch (e) {
      return asWireError(e);
    }
  }

  closeRuns(name: string): void {
    const { [name]: _, ...rest } = this.runs;
    this.runs = rest;
  }

  async add(params: MethodParams<"cron.add">): Promise<WireError | null> {
    try {
      await this.#client.request("cron.add", params);
      await this.load();
      return null;
    } catch (e) {
      return asWireError(e);
    }
  }

  /** Saves an edit (`cron.update`: one `cron.job.updated` event). */
  async update(params: MethodParams<"cron.update">): Promise<WireError | null> {
    try {
      await this.#client.request("cron.update", params);
      await this.load();
      return null;
    } catch (e) {
      return asWireError(e);
    }
  }

  setEnabled(name: string, enabled: boolean): Promise<WireError | null> {
    return this.#act(name, () => this.#client.request(enabled ? "cron.enable" : "cron.disable", { name }));
  }

  /** Runs the job now; its history opens so the run shows up. */
  async runNow(name: string): Promise<WireError | null> {
    const err = await this.#act(name, () => this.#client.request("cron.run", { name }));
    if (!err) await this.loadRuns(name);
    return err;
  }

  async remove(name: string): Promise<WireError | null> {
    const err = await this.#act(name, () => this.#client.request("cron.remove", { name }));
    if (!err) this.closeRuns(name);
    return err;
  }

  async #act(name: string, run: () => Promise<unknown>): Promise<WireError | null> {
    this.busy = { ...this.busy, [name]: true };
    try {
      await run();
      return null;
    } catch (e) {
      return asWireError(e);
    } finally {
      const { [name]: _, ...rest } = this.busy;
      this.busy = rest;
      await this.load();
    }
  }
}
