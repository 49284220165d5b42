import { RequestError, type GatewayClient } from "./client.ts";
import type { ApprovalDecision, ApprovalView, LiveApproval, LiveToolCall, LiveToolOutput } from "./wire.ts";
import type { DecideOutcome } from "./approvals.svelte.ts";
import {
  approvalFromLive,
  approvalFromSummary,
  cardAwaiting,
  cardFromLive,
  cardFromRow,
  cardKey,
  withLiveOutput,
  type ApprovalCard,
  type ToolCard,
} from "./tools.ts";
import { coalesced } from "./coalesce.ts";

/** What a tool or approval card may do, handed down from the app. */
export type ToolActions = {
  decide(approvalId: string, decision: ApprovalDecision, reason?: string): Promise<DecideOutcome>;
  /** A file of the open session's workspace (a truncated result's full output). */
  readFile(path: string): Promise<{ text: string; bytes: number; truncated: boolean }>;
};

const TOOLS_LIMIT = 1000;
const NO_CARDS: ToolCard[] = [];
const APPROVALS_LIMIT = 200;

/**
 * The open chat's tool cards and approvals. Loaded with the history (so cards survive a reload)
 * from `chat.tools` and `approvals.list`, and moved along by live messages in between.
 */
export class ToolsStore {
  /** By `cardKey(runId, callId)`: call ids repeat across runs. */
  cards = $state<Record<string, ToolCard>>({});
  /** By approval id. */
  approvals = $state<Record<string, ApprovalCard>>({});

  readonly #client: GatewayClient;
  #key: string | null = null;
  #token = 0;
  #order = 0;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  open(key: string | null): void {
    this.#key = key;
    this.#token++;
    this.cards = {};
    this.approvals = {};
    this.#order = 0;
  }

  /** The cards of one run, in the order the model asked for them. */
  forRun(runId: string | null): ToolCard[] {
    if (runId === null) return NO_CARDS;
    const cards = Object.values(this.cards).filter((c) => c.runId === runId);
    // One shared empty list: a reply without tools then gets the same prop on every update.
    if (cards.length === 0) return NO_CARDS;
    return cards.sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0) || a.order - b.order);
  }

  approvalFor(card: ToolCard): ApprovalCard | undefined {
    if (card.approvalId && this.approvals[card.approvalId]) return this.approvals[card.approvalId];
    return Object.values(this.approvals).find((a) => a.runId === card.runId && a.callId === card.callId);
  }

  /**
   * A live message of the open session. Cards go where the gateway says (`textOffset`);
   * `textLength`, its reply's text so far, only places a card whose offset has not come yet.
   */
  onLive(m: LiveToolCall | LiveToolOutput | LiveApproval, textLength: number): void {
    const key = cardKey(m.runId, m.callId);
    if (m.type === "run.tool_output") {
      const card = this.cards[key];
      if (card && card.output === null) this.cards[key] = withLiveOutput(card, m.text);
      return;
    }
    if (m.type === "run.tool") {
      this.cards[key] = cardFromLive(m, this.cards[key], this.#order++, textLength, Date.now());
      return;
    }
    this.approvals[m.approvalId] = approvalFromLive(m, this.approvals[m.approvalId]);
    const card = this.cards[key];
    if (card) this.cards[key] = cardAwaiting(card, m);
    // Whether it was "always" only the list knows.
    if (m.status !== "pending") void this.refresh();
  }

  /** Shows an answer this page gave before the live message comes. */
  applyDecision(view: ApprovalView): void {
    const a = this.approvals[view.id];
    if (!a || view.status === "new" || a.status !== "pending") return;
    this.approvals[view.id] = {
      ...a,
      status: view.status,
      decidedBy: view.decidedBy ?? a.decidedBy,
      denyReason: view.status === "denied" ? (view.reason ?? a.denyReason) : a.denyReason,
    };
  }

  /** Re-fetches cards and approvals; bursts collapse into one extra fetch. */
  refresh = coalesced(() => this.#fetch());

  async #fetch(): Promise<void> {
    const key = this.#key;
    const token = this.#token;
    if (key === null) return;
    const [tools, approvals] = await Promise.allSettled([
      this.#client.request("chat.tools", { sessionKey: key, limit: TOOLS_LIMIT }),
      this.#client.request("approvals.list", { limit: APPROVALS_LIMIT }),
    ]);
    if (token !== this.#token) return;
    if (tools.status === "fulfilled") {
      for (const row of tools.value.calls) {
        const key = cardKey(row.runId, row.callId);
        this.cards[key] = cardFromRow(row, this.cards[key], this.#order++);
      }
    } else if (!(tools.reason instanceof RequestError && tools.reason.connectionLost)) {
      // Cards are extras around the chat: a gateway without them still chats.
      console.warn("cairn: could not load tool calls", tools.reason);
    }
    if (approvals.status === "fulfilled") {
      for (const s of approvals.value.approvals ?? []) {
        if (s.sessionKey !== key) continue;
        this.approvals[s.id] = approvalFromSummary(s, this.approvals[s.id]);
      }
    }
  }
}
