import type { ChannelAccess, RunStatus, Usage, WireError } from "../../schemas/index.ts";

/** The run machine's effects and what each gets: the action placeholders of `run.machine.ts`. */

/** What `callModel` needs: which model call of the run to make, on which model, after what. */
export interface CallModelParams {
  readonly runId: string;
  readonly sessionKey: string;
  readonly startModel: string;
  readonly model: string;
  readonly triggerMessageId: string;
  readonly startedAt: number;
  /** The model call to make: 1 for the first, n + 1 after the tools of call n. */
  readonly iteration: number;
  readonly text: string;
  readonly usage: Usage | null;
  /** Call ids the run has used (a repeated one is renamed). */
  readonly callIds: readonly string[];
  /** The incoming message as a hook rewrote it (absent: as sent). */
  readonly message?: string;
  /** A channel sender's level (absent: the owner): which tools the model is offered. */
  readonly access?: ChannelAccess;
  /** The model call the run's latest compaction preceded (absent: none): at most one per call. */
  readonly compactedFor?: number;
}

/** What `compact` needs: the run, the model call it precedes, and the compaction's id. */
export interface CompactParams {
  readonly runId: string;
  readonly sessionKey: string;
  readonly model: string;
  readonly startedAt: number;
  readonly triggerMessageId: string;
  /** The reply so far (a compaction after tool steps). */
  readonly text: string;
  readonly compactionId: string;
  /** The model call the compaction precedes. */
  readonly iteration: number;
  /** Re-armed by a host taking the run over: use a recorded summary, never ask for a second one. */
  readonly resume: boolean;
}

/** One requested call to gate (approval) and run. */
export interface RunToolParams {
  readonly runId: string;
  readonly sessionKey: string;
  readonly startedAt: number;
  readonly text: string;
  /** A channel sender's level (absent: the owner): how the call is gated. */
  readonly access?: ChannelAccess;
  readonly call: {
    readonly callId: string;
    readonly name: string;
    readonly arguments: string;
    /** Hooks whose decision is already recorded (after a crash they are not asked again). */
    readonly hooks?: readonly string[];
  };
}

/** A run found mid-step with nothing driving it: it is ended as interrupted, never re-run. */
export interface InterruptParams {
  readonly runId: string;
  readonly sessionKey: string;
  readonly startedAt: number;
}

export interface EndParams {
  readonly sessionKey: string;
  readonly runId: string;
  readonly status: RunStatus;
  readonly error?: WireError;
}

/** The run's effects, one per action placeholder below: implemented by `runEffects`. */
export interface RunEffects {
  readonly callModel: (p: CallModelParams) => Promise<void>;
  readonly compact: (p: CompactParams) => Promise<void>;
  readonly runTool: (p: RunToolParams) => Promise<void>;
  readonly interruptOrphan: (p: InterruptParams) => Promise<void>;
  readonly reportEnd: (p: EndParams) => Promise<void>;
}
