import { asWireError, type GatewayClient } from "./client.ts";
import type { ChannelAccess, ChannelSender, ChannelStatus, WireError } from "./wire.ts";

/** How often the open Channels page asks again: a new sender and the loop's state are not pushed. */
export const CHANNELS_POLL_MS = 3_000;

type Channel = ChannelSender["channel"];

/** Settings → Channels: each channel's loop (`channels.status`) and its senders (`channels.senders`). */
export class ChannelsStore {
  channels = $state<readonly ChannelStatus[]>([]);
  senders = $state<readonly ChannelSender[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);
  busy = $state<Record<string, boolean>>({});

  readonly #client: GatewayClient;
  #inFlight: Promise<void> | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  load(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        const [status, senders] = await Promise.all([
          this.#client.request("channels.status", {}),
          this.#client.request("channels.senders", {}),
        ]);
        this.channels = status.channels;
        this.senders = senders.senders;
        this.loaded = true;
        this.error = null;
      } catch (e) {
        this.error = asWireError(e);
      }
    })().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  approve(s: ChannelSender, access?: ChannelAccess): Promise<WireError | null> {
    return this.#act(s, () =>
      this.#client.request("channels.approve", { channel: "telegram", userId: s.userId, ...(access ? { access } : {}) }),
    );
  }

  /** Turns a pending sender away, or revokes an approved one. */
  deny(s: ChannelSender): Promise<WireError | null> {
    return this.#act(s, () => this.#client.request("channels.deny", { channel: "telegram", userId: s.userId }));
  }

  /** The sender's own level; null: the channel's. */
  setAccess(s: ChannelSender, access: ChannelAccess | null): Promise<WireError | null> {
    return this.#act(s, () => this.#client.request("channels.setAccess", { channel: "telegram", userId: s.userId, access }));
  }

  async #act(s: ChannelSender, run: () => Promise<unknown>): Promise<WireError | null> {
    const key = `${s.channel}:${s.userId}`;
    this.busy = { ...this.busy, [key]: true };
    try {
      await run();
      return null;
    } catch (e) {
      return asWireError(e);
    } finally {
      const { [key]: _, ...rest } = this.busy;
      this.busy = rest;
      await this.load();
    }
  }

  isBusy(s: { channel: Channel; userId: string }): boolean {
    return !!this.busy[`${s.channel}:${s.userId}`];
  }
}
