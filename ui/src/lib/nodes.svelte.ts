import { asWireError, type GatewayClient } from "./client.ts";
import type { NodeSummary, PairingWindow, WireError } from "./wire.ts";

/** How often the open Nodes page asks again: there is no live message for nodes. */
export const NODES_POLL_MS = 5_000;
export const DEFAULT_PAIRING_MINUTES = 10;

/**
 * The nodes the gateway knows (pending, approved, revoked), the pairing window and the
 * remote-exec report. Presence and telemetry are in the gateway's memory only, so the page polls
 * while it is open; the chat's node selector uses the same list.
 */
export class NodesStore {
  list = $state<readonly NodeSummary[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);
  pairing = $state<PairingWindow | null>(null);
  pairingError = $state<WireError | null>(null);
  doctor = $state<unknown>(null);
  doctorError = $state<WireError | null>(null);
  /** Request ids / node ids with an answer on its way: their buttons wait. */
  busy = $state<Record<string, boolean>>({});

  readonly #client: GatewayClient;
  #inFlight: Promise<void> | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  find(nodeId: string | null | undefined): NodeSummary | undefined {
    return nodeId ? this.list.find((n) => n.nodeId === nodeId) : undefined;
  }

  /** Fetches the list; a call while one is in flight joins it (polls never pile up). */
  load(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        const { nodes } = await this.#client.request("nodes.list", {});
        this.list = nodes;
        this.loaded = true;
        this.error = null;
      } catch (e) {
        this.error = asWireError(e);
      }
    })().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  async loadPairing(): Promise<void> {
    try {
      this.pairing = await this.#client.request("nodes.pairingStatus", {});
      this.pairingError = null;
    } catch (e) {
      this.pairingError = asWireError(e);
    }
  }

  async loadDoctor(): Promise<void> {
    try {
      this.doctor = await this.#client.request("nodes.doctor", {});
      this.doctorError = null;
    } catch (e) {
      this.doctorError = asWireError(e);
    }
  }

  /** Everything the Nodes page shows. */
  async refreshAll(): Promise<void> {
    await Promise.all([this.load(), this.loadPairing(), this.loadDoctor()]);
  }

  /** Opens the window for `minutes` (the gateway's default when omitted) or closes it. */
  async setPairing(open: boolean, minutes?: number): Promise<WireError | null> {
    try {
      this.pairing = await this.#client.request("nodes.pairing", minutes !== undefined ? { open, minutes } : { open });
      this.pairingError = null;
      void this.loadDoctor();
      return null;
    } catch (e) {
      this.pairingError = asWireError(e);
      return this.pairingError;
    }
  }

  approve(requestId: string): Promise<WireError | null> {
    return this.#act(requestId, () => this.#client.request("nodes.approve", { requestId }));
  }

  reject(requestId: string): Promise<WireError | null> {
    return this.#act(requestId, () => this.#client.request("nodes.reject", { requestId }));
  }

  revoke(nodeId: string): Promise<WireError | null> {
    return this.#act(nodeId, () => this.#client.request("nodes.revoke", { nodeId }));
  }

  /** Runs one decision, then shows its outcome from a fresh list (the gateway's word, not a guess). */
  async #act(id: string, run: () => Promise<unknown>): Promise<WireError | null> {
    this.busy = { ...this.busy, [id]: true };
    try {
      await run();
      return null;
    } catch (e) {
      return asWireError(e);
    } finally {
      const { [id]: _, ...rest } = this.busy;
      this.busy = rest;
      await this.load();
      void this.loadDoctor();
    }
  }
}
