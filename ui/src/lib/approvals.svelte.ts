import { asWireError, type GatewayClient } from "./client.ts";
import type { ApprovalDecision, ApprovalSummary, ApprovalView, ChatEvent, WireError } from "./wire.ts";
import { coalesced } from "./coalesce.ts";

/** What answering an approval came to, for its card. */
export type DecideOutcome =
  | { ok: true; view: ApprovalView }
  /** Someone answered first (another tab, the CLI) or the deadline passed: not an error. */
  | { ok: false; already: ApprovalView }
  | { ok: false; error: WireError };

const expected = (d: ApprovalDecision) => (d === "deny" ? "denied" : "granted");

// Gateways that refuse a second answer instead of replying the decided state use one of these.
const ALREADY_CODES = new Set(["approval_decided", "approval_already_decided", "already_decided", "conflict", "approval_expired"]);

/**
 * Approvals waiting for an answer, across all sessions: the header's indicator. Refreshed on
 * connect, on every approval message of the open chat and on session list changes; polled slowly
 * while any is pending, since approvals of other sessions send nothing to this page.
 */
export class ApprovalsStore {
  pending = $state<ApprovalSummary[]>([]);

  readonly #client: GatewayClient;
  #poll: ReturnType<typeof setInterval> | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
    client.onEvent("chat", (payload) => {
      if ((payload as ChatEvent | null)?.type === "run.approval") void this.refresh();
    });
    client.onEvent("sessions", () => void this.refresh());
  }

  refresh = coalesced(async () => {
    try {
      const { approvals } = await this.#client.request("approvals.list", { status: "pending", limit: 100 });
      this.pending = (approvals ?? []).filter((a) => a.status === "pending");
    } catch {
      // The indicator is a hint; the chat's cards and the connection pill say the rest.
    }
    this.#schedule();
  });

  #schedule(): void {
    if (this.pending.length > 0 && !this.#poll) {
      this.#poll = setInterval(() => void this.refresh(), 15_000);
    } else if (this.pending.length === 0 && this.#poll) {
      clearInterval(this.#poll);
      this.#poll = null;
    }
  }

  /** Answers an approval. The first answer wins; a later one reports what happened instead. */
  async decide(approvalId: string, decision: ApprovalDecision, reason?: string): Promise<DecideOutcome> {
    try {
      const view = await this.#client.request("approvals.decide", {
        approvalId,
        decision,
        ...(reason ? { reason } : {}),
      });
      void this.refresh();
      if (view && view.status !== expected(decision)) return { ok: false, already: view };
      return { ok: true, view };
    } catch (e) {
      const error = asWireError(e);
      void this.refresh();
      if (ALREADY_CODES.has(error.code)) return { ok: false, already: { id: approvalId, status: "new" } };
      return { ok: false, error };
    }
  }
}
