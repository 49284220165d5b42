import type { ToolCallChunk } from "./provider.ts";

/** How a provider names a call in its stream: OpenAI's `tool_calls[].index`, Anthropic's block index. */
export type StreamKey = number | string;

interface OpenCall {
  readonly index: number;
  id: string;
  /** `id` came from the provider (not `newId`). */
  given: boolean;
  name: string;
  started: boolean;
  done: boolean;
  /** Argument fragments, joined once at the end (a long call can have thousands). */
  readonly parts: string[];
  /** Fragments that arrived before the call could be announced (no name yet). */
  pending: string;
  /** Arguments given whole when the call opened, used if no fragment follows. */
  preset: string;
}

/**
 * Turns a provider's tool-call stream into `ToolCallChunk`s. Calls are keyed by the provider's own
 * stream position but exposed under a dense `index` in order of appearance: a text block at
 * Anthropic index 0 and a tool_use block at 1, or an OpenAI call at stream index 2, is call 0.
 * (Using the stream position as an array slot is how arguments got silently dropped elsewhere.)
 *
 * Never throws on odd input: arguments are text, reported as received, valid JSON or not.
 */
export class ToolCallAccumulator {
  private readonly byKey = new Map<StreamKey, OpenCall>();
  private readonly calls: OpenCall[] = [];

  /** `newId` names a call the provider gave no id (some OpenAI-compatible servers). */
  constructor(private readonly newId: (index: number) => string = (i) => `call_${i}`) {}

  /** Calls seen so far. */
  get count(): number {
    return this.calls.length;
  }

  /**
   * One piece of a call: its id and name (usually in the first piece), an argument fragment, or
   * (Anthropic, from a proxy) whole `preset` arguments. A piece under a known key carrying a
   * different id starts a new call: some compatible servers reuse index 0 for every call.
   */
  update(key: StreamKey, part: { id?: string | null; name?: string | null; arguments?: string | null; preset?: string }): ToolCallChunk[] {
    let call = this.byKey.get(key);
    if (!call || call.done || (part.id && call.given && part.id !== call.id)) {
      call = { index: this.calls.length, id: "", given: false, name: "", started: false, done: false, parts: [], pending: "", preset: "" };
      this.calls.push(call);
      this.byKey.set(key, call);
    }
    if (part.id && !call.given && !call.started) {
      call.id = part.id;
      call.given = true;
    }
    if (part.preset) call.preset = part.preset;
    const out: ToolCallChunk[] = [];
    if (part.name && !call.started) {
      call.name = part.name;
      this.announce(call, out);
    }
    const fragment = part.arguments;
    if (fragment) {
      call.parts.push(fragment);
      if (call.started) out.push({ type: "tool_call_delta", index: call.index, argumentsDelta: fragment });
      else call.pending += fragment;
    }
    return out;
  }

  /** The call under `key` is finished (Anthropic `content_block_stop`); [] when `key` is no open call (a text block). */
  complete(key: StreamKey): ToolCallChunk[] {
    const call = this.byKey.get(key);
    if (!call || call.done) return [];
    const out: ToolCallChunk[] = [];
    this.finish(call, out);
    return out;
  }

  /** Finishes every call still open, in order of appearance (OpenAI: at the end of the reply). */
  completeAll(): ToolCallChunk[] {
    const out: ToolCallChunk[] = [];
    for (const call of this.calls) if (!call.done) this.finish(call, out);
    return out;
  }

  private announce(call: OpenCall, out: ToolCallChunk[]): void {
    call.started = true;
    call.id ||= this.newId(call.index);
    out.push({ type: "tool_call_start", index: call.index, id: call.id, name: call.name });
    if (call.pending) out.push({ type: "tool_call_delta", index: call.index, argumentsDelta: call.pending });
    call.pending = "";
  }

  private finish(call: OpenCall, out: ToolCallChunk[]): void {
    // A call that never got a name is still reported (name ""): the run layer tells the model,
    // rather than the call vanishing.
    if (!call.started) this.announce(call, out);
    call.done = true;
    const text = call.parts.length > 0 ? call.parts.join("") : call.preset;
    // A call without arguments streams none (Anthropic) or "" (some servers): that means {}.
    const args = text.trim() === "" ? "{}" : text;
    out.push({ type: "tool_call", index: call.index, id: call.id, name: call.name, arguments: args });
  }
}
