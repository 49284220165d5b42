import { describe, expect, it } from "vitest";
import { ToolCallAccumulator } from "../../../actors/llm/index.ts";

describe("ToolCallAccumulator", () => {
  it("keys by stream position and numbers calls densely in order of appearance", () => {
    const acc = new ToolCallAccumulator();
    const out = [
      ...acc.update(7, { id: "b", name: "second" }),
      ...acc.update(3, { id: "a", name: "first" }),
      ...acc.update(3, { arguments: '{"x":' }),
      ...acc.update(7, { arguments: "{}" }),
      ...acc.update(3, { arguments: "1}" }),
      ...acc.complete(99), // not a call (a text block): nothing
      ...acc.completeAll(),
    ];
    expect(out).toEqual([
      { type: "tool_call_start", index: 0, id: "b", name: "second" },
      { type: "tool_call_start", index: 1, id: "a", name: "first" },
      { type: "tool_call_delta", index: 1, argumentsDelta: '{"x":' },
      { type: "tool_call_delta", index: 0, argumentsDelta: "{}" },
      { type: "tool_call_delta", index: 1, argumentsDelta: "1}" },
      { type: "tool_call", index: 0, id: "b", name: "second", arguments: "{}" },
      { type: "tool_call", index: 1, id: "a", name: "first", arguments: '{"x":1}' },
    ]);
    expect(acc.completeAll()).toEqual([]);
  });

  it("holds fragments until the name arrives, names calls without an id, and splits a reused index on a new id", () => {
    const acc = new ToolCallAccumulator((i) => `gen_${i}`);
    expect(acc.update(0, { arguments: '{"a"' })).toEqual([]);
    expect(acc.update(0, { name: "f", arguments: ":1}" })).toEqual([
      { type: "tool_call_start", index: 0, id: "gen_0", name: "f" },
      { type: "tool_call_delta", index: 0, argumentsDelta: '{"a"' },
      { type: "tool_call_delta", index: 0, argumentsDelta: ":1}" },
    ]);
    const a = new ToolCallAccumulator();
    a.update(0, { id: "x", name: "f", arguments: "{}" });
    a.update(0, { id: "x", arguments: "" }); // the same id repeated: the same call
    a.update(0, { id: "y", name: "g", arguments: "[1]" }); // a server that reuses index 0
    expect(a.completeAll().map((c) => c.type === "tool_call" && [c.index, c.id, c.name, c.arguments])).toEqual([
      [0, "x", "f", "{}"],
      [1, "y", "g", "[1]"],
    ]);
  });

  it("uses whole preset arguments when no fragment follows, and reports a nameless call rather than dropping it", () => {
    const acc = new ToolCallAccumulator();
    acc.update(1, { id: "t", name: "f", preset: '{"k":2}' });
    expect(acc.complete(1)).toEqual([{ type: "tool_call", index: 0, id: "t", name: "f", arguments: '{"k":2}' }]);
    acc.update(2, { arguments: "{}" });
    expect(acc.completeAll()).toEqual([
      { type: "tool_call_start", index: 1, id: "call_1", name: "" },
      { type: "tool_call_delta", index: 1, argumentsDelta: "{}" },
      { type: "tool_call", index: 1, id: "call_1", name: "", arguments: "{}" },
    ]);
  });
});
