import { describe, expect, it } from "vitest";
import { CairnError } from "../../../schemas/errors.ts";
import {
  lazyProvider,
  type ConversationMessage,
  type StreamRequest,
  type ToolCallChunk,
  type ToolSpec,
  type ToolStreamChunk,
} from "../../../actors/llm/index.ts";
import { PROVIDER_CASES, useLlmServer } from "./llm.helpers.ts";

type Call = Extract<ToolCallChunk, { type: "tool_call" }>;

interface Drained {
  chunks: ToolStreamChunk[];
  text: string;
  calls: Call[];
  done: Extract<ToolStreamChunk, { type: "done" }> | null;
  error: CairnError | null;
}

/** Every chunk in order; a thrown CairnError is kept with what arrived before it. */
async function drain(stream: AsyncIterable<ToolStreamChunk>): Promise<Drained> {
  const chunks: ToolStreamChunk[] = [];
  let error: CairnError | null = null;
  try {
    for await (const c of stream) chunks.push(c);
  } catch (e) {
    if (!(e instanceof CairnError)) throw e;
    error = e;
  }
  const dones = chunks.filter((c) => c.type === "done");
  expect(dones.length).toBeLessThanOrEqual(1);
  if (dones.length === 1) expect(chunks.at(-1)).toBe(dones[0]);
  return {
    chunks,
    text: chunks.map((c) => (c.type === "delta" ? c.text : "")).join(""),
    calls: chunks.filter((c): c is Call => c.type === "tool_call"),
    done: (dones[0] as Drained["done"]) ?? null,
    error,
  };
}

/** The per-call contract: one start, deltas that add up to the arguments, then one complete call. */
function expectWellFormed(chunks: readonly ToolStreamChunk[]): void {
  const calls = chunks.filter((c) => c.type === "tool_call") as Call[];
  calls.forEach((call, i) => {
    expect(call.index).toBe(i); // dense, in order of appearance
    const own = chunks.filter((c) => c.type.startsWith("tool_call") && (c as ToolCallChunk).index === i) as ToolCallChunk[];
    expect(own[0]).toEqual({ type: "tool_call_start", index: i, id: call.id, name: call.name });
    expect(own.at(-1)).toBe(call);
    expect(own.filter((c) => c.type === "tool_call_start")).toHaveLength(1);
    const deltas = own.slice(1, -1);
    expect(deltas.every((c) => c.type === "tool_call_delta")).toBe(true);
    const joined = deltas.map((c) => (c as Extract<ToolCallChunk, { type: "tool_call_delta" }>).argumentsDelta).join("");
    expect(call.arguments).toBe(joined === "" ? "{}" : joined);
  });
}

const WEATHER: ToolSpec = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city"],
  },
};
const CLOCK: ToolSpec = { name: "now", description: "The current time", parameters: { type: "object", properties: {} } };
const TOOLS = [WEATHER, CLOCK];

describe.each(PROVIDER_CASES)("$id provider tool calls", (pc) => {
  const server = useLlmServer();

  const ask = (extra: Partial<StreamRequest> = {}) =>
    pc.make(server).stream({ model: "test-model", messages: [{ role: "user", text: "weather in Oslo?" }], tools: TOOLS, ...extra });

  it("streams one call: start, argument deltas, the complete call, then done with finishReason tool_calls", async () => {
    server.script({
      toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo","unit":"c"}', splitEvery: 8 }],
      usage: { inputTokens: 30, outputTokens: 12 },
    });
    const got = await drain(ask());
    expect(got.error).toBeNull();
    expect(got.text).toBe("");
    expect(got.chunks.map((c) => c.type)).toEqual(["tool_call_start", ...Array(4).fill("tool_call_delta"), "tool_call", "done"]);
    expect(got.calls).toEqual([
      { type: "tool_call", index: 0, id: "call_1", name: "get_weather", arguments: '{"city":"Oslo","unit":"c"}' },
    ]);
    expect(got.done).toEqual({ type: "done", usage: { inputTokens: 30, outputTokens: 12 }, finishReason: "tool_calls" });
    expectWellFormed(got.chunks);
  });

  it("streams several calls of one reply under dense indices, each with its own id and arguments", async () => {
    server.script({
      toolCalls: [
        { name: "get_weather", arguments: '{"city":"Oslo"}', splitEvery: 4 },
        { name: "get_weather", arguments: '{"city":"Lima","unit":"f"}', splitEvery: 5 },
        { name: "now", arguments: "{}" },
      ],
    });
    const got = await drain(ask());
    expect(got.error).toBeNull();
    expect(got.calls.map((c) => [c.index, c.name, c.arguments])).toEqual([
      [0, "get_weather", '{"city":"Oslo"}'],
      [1, "get_weather", '{"city":"Lima","unit":"f"}'],
      [2, "now", "{}"],
    ]);
    const ids = got.calls.map((c) => c.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id.startsWith(pc.id === "openai" ? "call_" : "toolu_01"))).toBe(true);
    expect(got.done?.finishReason).toBe("tool_calls");
    expectWellFormed(got.chunks);
  });

  it("keeps the arguments of a call that follows text (text at stream position 0, the call at 1)", async () => {
    server.script({
      chunks: ["Let me ", "check that."],
      toolCalls: [
        { name: "get_weather", arguments: '{"city":"Reykjavík"}', splitEvery: 3, ...(pc.id === "openai" ? { streamIndex: 1 } : {}) },
      ],
    });
    let wire = "";
    const capture: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      wire = await res.clone().text();
      return res;
    };
    const got = await drain(
      pc.make(server, { fetch: capture }).stream({ model: "m", messages: [{ role: "user", text: "weather?" }], tools: TOOLS }),
    );
    // The wire really put the call at position 1, after the text at 0.
    expect(wire).toContain(pc.id === "openai" ? '"tool_calls":[{"index":1,' : '"index":1,"content_block":{"type":"tool_use"');
    expect(got.error).toBeNull();
    expect(got.text).toBe("Let me check that.");
    // The text arrives first; the call is still call 0, arguments intact (not an empty {}).
    expect(got.chunks.slice(0, 2).map((c) => c.type)).toEqual(["delta", "delta"]);
    expect(got.calls).toEqual([expect.objectContaining({ index: 0, name: "get_weather", arguments: '{"city":"Reykjavík"}' })]);
    expectWellFormed(got.chunks);
  });

  it("exposes a call at provider stream index 2 as call 0, arguments intact", async () => {
    server.script({ toolCalls: [{ id: "call_far", name: "get_weather", arguments: '{"city":"Quito"}', splitEvery: 2, streamIndex: 2 }] });
    const got = await drain(ask());
    expect(got.error).toBeNull();
    expect(got.calls).toEqual([{ type: "tool_call", index: 0, id: "call_far", name: "get_weather", arguments: '{"city":"Quito"}' }]);
    expectWellFormed(got.chunks);
  });

  it("reassembles arguments split every 3 characters from SSE bytes split at odd boundaries", async () => {
    const args = JSON.stringify({ city: "Zürich", note: '日本語 🏔️ "quoted"\nline', unit: "c" });
    server.script({
      chunks: ["Grüße ", "🎉"],
      toolCalls: [
        { name: "get_weather", arguments: args, splitEvery: 3 },
        { name: "now", arguments: "{}", splitEvery: 1 },
      ],
      splitEveryBytes: 5,
    });
    const got = await drain(ask());
    expect(got.error).toBeNull();
    expect(got.text).toBe("Grüße 🎉");
    expect(got.calls.map((c) => c.arguments)).toEqual([args, "{}"]);
    expect(JSON.parse(got.calls[0].arguments)).toEqual({ city: "Zürich", note: '日本語 🏔️ "quoted"\nline', unit: "c" });
    expect(got.chunks.filter((c) => c.type === "tool_call_delta").length).toBeGreaterThan(10);
    expectWellFormed(got.chunks);
  });

  it("reports invalid JSON arguments as the raw text, without throwing", async () => {
    const broken = '{"city": "Oslo", unit: c';
    server.script({ toolCalls: [{ name: "get_weather", arguments: broken, splitEvery: 4 }] });
    const got = await drain(ask());
    expect(got.error).toBeNull();
    expect(got.calls).toEqual([expect.objectContaining({ index: 0, name: "get_weather", arguments: broken })]);
    expect(got.done?.finishReason).toBe("tool_calls");
  });

  it("reports a call without arguments as {}", async () => {
    server.script({ toolCalls: [{ name: "now", arguments: "" }] });
    const got = await drain(ask());
    expect(got.calls).toEqual([expect.objectContaining({ name: "now", arguments: "{}" })]);
  });

  it("a stream cut in the middle of a call's arguments is a cut-off, and the half call is never reported complete", async () => {
    server.script({
      chunks: ["On it."],
      toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo","unit":"c"}', splitEvery: 4 }],
      disconnectAfterToolEvents: 3,
    });
    const got = await drain(ask());
    expect(got.error?.code).toBe("provider_stream_cut");
    expect(got.text).toBe("On it.");
    expect(got.chunks.some((c) => c.type === "tool_call_start")).toBe(true);
    expect(got.calls).toEqual([]);
    expect(got.done).toBeNull();
  });

  it("without tools offered, sends none and yields no tool chunks (text-only callers stay safe)", async () => {
    server.script({ chunks: ["hm"], toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const got = await drain(pc.make(server).stream({ model: "m", messages: [{ role: "user", text: "hi" }] }));
    expect(got.error).toBeNull();
    expect(got.chunks.map((c) => c.type)).toEqual(["delta", "done"]);
    expect(got.done?.finishReason).toBe("tool_calls");
    const rec = server.requests.at(-1)!;
    expect(rec.tools).toBeNull();
    expect(rec.body).not.toHaveProperty("tool_choice");
    // An empty list is the same as none: OpenAI refuses `tools: []`.
    await drain(pc.make(server).stream({ model: "m", messages: [{ role: "user", text: "hi" }], tools: [], toolChoice: "auto" }));
    expect(server.requests.at(-1)!.body).not.toHaveProperty("tools");
    expect(server.requests.at(-1)!.body).not.toHaveProperty("tool_choice");
  });

  it("passes tool chunks through a lazily loaded provider", async () => {
    server.script({ chunks: ["a"], toolCalls: [{ name: "now", arguments: "{}" }] });
    const lazy = lazyProvider(pc.id, async () => pc.make(server));
    const got = await drain(lazy.stream({ model: "m", messages: [{ role: "user", text: "time?" }], tools: [CLOCK] }));
    expect(got.chunks.map((c) => c.type)).toEqual(["delta", "tool_call_start", "tool_call_delta", "tool_call", "done"]);
  });

  it("warm() loads the provider once, ahead of the first request; a failed load is tried again by the request", async () => {
    let loads = 0;
    let fail = true;
    const lazy = lazyProvider(pc.id, async () => {
      loads++;
      if (fail) throw new CairnError("provider_error", "SDK missing");
      return pc.make(server);
    });
    await lazy.warm?.(); // never throws
    fail = false;
    await lazy.warm?.();
    await lazy.warm?.();
    expect(loads).toBe(2);
    server.script({ chunks: ["ok"] });
    expect((await drain(lazy.stream({ model: "m", messages: [{ role: "user", text: "hi" }] }))).text).toBe("ok");
    expect(loads).toBe(2);
  });
});

/** What each SDK puts on the wire for tools, tool choice and tool turns of the history. */
describe("tool requests on the wire", () => {
  const server = useLlmServer();

  const [openai, anthropic] = PROVIDER_CASES;
  const send = async (pc: (typeof PROVIDER_CASES)[number], req: Partial<StreamRequest>) => {
    await drain(pc.make(server).stream({ model: "m", messages: [{ role: "user", text: "hi" }], tools: TOOLS, ...req }));
    return server.requests.at(-1)!;
  };

  /** A conversation that called two tools (one failed), got the results, and goes on. */
  const HISTORY: ConversationMessage[] = [
    { role: "user", text: "Weather in Oslo and Lima?" },
    {
      role: "assistant",
      text: "Checking both.",
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { id: "call_b", name: "get_weather", arguments: '{"city":"Lima"}' },
      ],
    },
    { role: "tool", toolCallId: "call_a", text: "4°C, snow" },
    { role: "tool", toolCallId: "call_b", text: "weather service unreachable", isError: true },
    { role: "assistant", text: "", toolCalls: [{ id: "call_c", name: "now", arguments: "not json" }] },
    { role: "tool", toolCallId: "call_c", text: "12:00" },
    { role: "user", text: "And tomorrow?" },
  ];

  it("openai: tools as functions with their JSON Schema; tool_choice in each form", async () => {
    const rec = await send(openai, { toolChoice: "auto" });
    expect(rec.tools).toEqual([
      { type: "function", function: { name: "get_weather", description: "Current weather for a city", parameters: WEATHER.parameters } },
      { type: "function", function: { name: "now", description: "The current time", parameters: CLOCK.parameters } },
    ]);
    expect(rec.body.tool_choice).toBe("auto");
    expect((await send(openai, { toolChoice: "none" })).body.tool_choice).toBe("none");
    expect((await send(openai, { toolChoice: "required" })).body.tool_choice).toBe("required");
    expect((await send(openai, { toolChoice: { name: "now" } })).body.tool_choice).toEqual({ type: "function", function: { name: "now" } });
    expect((await send(openai, {})).body).not.toHaveProperty("tool_choice");
  });

  it("anthropic: tools with input_schema; tool_choice in each form", async () => {
    const rec = await send(anthropic, { toolChoice: "auto" });
    expect(rec.tools).toEqual([
      { name: "get_weather", description: "Current weather for a city", input_schema: WEATHER.parameters },
      { name: "now", description: "The current time", input_schema: CLOCK.parameters },
    ]);
    expect(rec.body.tool_choice).toEqual({ type: "auto" });
    expect((await send(anthropic, { toolChoice: "none" })).body.tool_choice).toEqual({ type: "none" });
    expect((await send(anthropic, { toolChoice: "required" })).body.tool_choice).toEqual({ type: "any" });
    expect((await send(anthropic, { toolChoice: { name: "now" } })).body.tool_choice).toEqual({ type: "tool", name: "now" });
    expect((await send(anthropic, {})).body).not.toHaveProperty("tool_choice");
  });

  it("openai: a follow-up carries the assistant's tool_calls and role tool results with tool_call_id", async () => {
    const rec = await send(openai, { system: "be brief", messages: HISTORY });
    expect(rec.body.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "Weather in Oslo and Lima?" },
      {
        role: "assistant",
        content: "Checking both.",
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          { id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Lima"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "4°C, snow" },
      // Chat Completions has no error flag: the text says it.
      { role: "tool", tool_call_id: "call_b", content: "Error: weather service unreachable" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_c", type: "function", function: { name: "now", arguments: "not json" } }],
      },
      { role: "tool", tool_call_id: "call_c", content: "12:00" },
      { role: "user", content: "And tomorrow?" },
    ]);
    expect(rec.toolMessages).toHaveLength(5);
  });

  it("anthropic: a follow-up carries tool_use blocks with parsed input and the results as user tool_result blocks", async () => {
    const rec = await send(anthropic, { system: "be brief", messages: HISTORY });
    expect(rec.body.system).toBe("be brief");
    expect(rec.body.messages).toEqual([
      { role: "user", content: "Weather in Oslo and Lima?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking both." },
          { type: "tool_use", id: "call_a", name: "get_weather", input: { city: "Oslo" } },
          { type: "tool_use", id: "call_b", name: "get_weather", input: { city: "Lima" } },
        ],
      },
      // Both results of one turn in one user message, the failure flagged.
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_a", content: "4°C, snow" },
          { type: "tool_result", tool_use_id: "call_b", content: "weather service unreachable", is_error: true },
        ],
      },
      // Invalid JSON arguments cannot be an object input: {} (the tool result explains).
      { role: "assistant", content: [{ type: "tool_use", id: "call_c", name: "now", input: {} }] },
      // A user message right after results joins their turn, after them.
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_c", content: "12:00" },
          { type: "text", text: "And tomorrow?" },
        ],
      },
    ]);
    expect(rec.toolMessages).toHaveLength(4);
  });

  it("text-only histories are sent exactly as before", async () => {
    const plain: ConversationMessage[] = [
      { role: "user", text: "one" },
      { role: "assistant", text: "two" },
      { role: "user", text: "three" },
    ];
    const shape = [
      { role: "user", content: "one" },
      { role: "assistant", content: "two" },
      { role: "user", content: "three" },
    ];
    expect((await send(openai, { messages: plain })).body.messages).toEqual(shape);
    expect((await send(anthropic, { messages: plain })).body.messages).toEqual(shape);
  });
});
