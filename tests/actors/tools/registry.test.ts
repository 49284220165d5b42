import * as Schema from "effect/Schema";
import { describe, expect, it } from "vitest";
import { CairnError } from "../../../schemas/errors.ts";
import { ToolRegistry, defineTool, workspaceToolRegistry, type ToolContext } from "../../../actors/tools/index.ts";

const ctx = (signal = new AbortController().signal): ToolContext => ({ workspace: "/nonexistent", signal, sessionKey: "s" });

const Inner = Schema.Struct({ x: Schema.Int, y: Schema.optionalKey(Schema.String) }).annotate({ identifier: "Inner" });
const echo = defineTool({
  name: "echo",
  description: "echoes",
  source: "builtin",
  dangerous: false,
  params: Schema.Struct({
    text: Schema.String,
    times: Schema.optionalKey(Schema.Int),
    a: Schema.optionalKey(Inner),
    b: Schema.optionalKey(Inner),
  }),
  async run(args) {
    return { output: args.text.repeat(args.times ?? 1) };
  },
});

describe("tool specs", () => {
  it("generates a plain object JSON Schema for every built-in tool", () => {
    const specs = workspaceToolRegistry().specs();
    const byName = Object.fromEntries(specs.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["edit_file", "glob", "grep", "read_file", "write_file"]);
    const required: Record<string, string[]> = {
      read_file: ["path"],
      write_file: ["path", "content"],
      edit_file: ["path", "old_string", "new_string"],
      glob: ["pattern"],
      grep: ["pattern"],
    };
    for (const s of specs) {
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.parameters.type).toBe("object");
      expect(s.parameters.required).toEqual(required[s.name]);
      expect(s.parameters.additionalProperties).toBe(false);
      const json = JSON.stringify(s.parameters);
      expect(json).not.toContain("$schema");
      expect(json).not.toContain("$defs");
      expect(json).not.toContain("$ref");
      expect(json).not.toContain("9007199254740991");
    }
    expect(byName.read_file.parameters.properties).toMatchObject({
      path: { type: "string" },
      offset: { type: "integer", minimum: 1 },
      limit: { type: "integer", minimum: 1 },
      line_numbers: { type: "boolean" },
    });
    expect(byName.edit_file.parameters.properties).toMatchObject({ replace_all: { type: "boolean" } });
  });

  it("inlines referenced definitions", () => {
    const spec = new ToolRegistry().register(echo).specs()[0];
    const props = spec.parameters.properties as Record<string, Record<string, unknown>>;
    expect(props.a).toMatchObject({ type: "object", properties: { x: { type: "integer" } }, required: ["x"] });
    expect(props.b).toEqual(props.a);
    expect(JSON.stringify(spec.parameters)).not.toContain("$ref");
  });

  it("refuses duplicate and invalid names", () => {
    const r = new ToolRegistry().register(echo);
    expect(() => r.register(echo)).toThrow(/already registered/);
    expect(() => r.register({ ...echo, name: "has space" })).toThrow(/invalid tool name/);
    expect(r.list().map((t) => t.name)).toEqual(["echo"]);
  });

  it("refuses a parameter schema that is not an object", () => {
    expect(() => new ToolRegistry().register({ ...echo, name: "bad", params: Schema.String } as never)).toThrow(/object/);
  });
});

describe("invoke", () => {
  const registry = new ToolRegistry().register(echo);

  it("runs a tool with decoded arguments", async () => {
    expect(await registry.invoke("echo", '{"text":"ab","times":2}', ctx())).toEqual({ ok: true, output: "abab" });
  });

  it("names the known tools for an unknown one", async () => {
    const r = await workspaceToolRegistry().invoke("rm_rf", "{}", ctx());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("bad_request");
    expect(r.error.message).toContain('unknown tool "rm_rf"');
    for (const n of ["read_file", "write_file", "edit_file", "glob", "grep"]) expect(r.error.message).toContain(n);
  });

  it("answers invalid JSON with bad_request", async () => {
    const r = await registry.invoke("echo", '{"text": "a"', ctx());
    expect(r).toMatchObject({ ok: false, error: { code: "bad_request", details: { reason: "invalid_json" } } });
    if (!r.ok) expect(r.error.message).toMatch(/not valid JSON/);
  });

  it("lists every schema problem at once: missing field, wrong type, extra field", async () => {
    const r = await registry.invoke("echo", '{"times":"2","extra":true}', ctx());
    expect(r).toMatchObject({ ok: false, error: { code: "bad_request", details: { reason: "invalid_arguments" } } });
    if (r.ok) return;
    expect(r.error.message).toMatch(/Missing key[\s\S]*\["text"\]/);
    expect(r.error.message).toMatch(/Expected number[\s\S]*\["times"\]|\["times"\]/);
    expect(r.error.message).toMatch(/excess property[\s\S]*\["extra"\]/);
  });

  it("refuses non-object JSON", async () => {
    const r = await registry.invoke("echo", "[1,2]", ctx());
    expect(r).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  it("treats empty arguments as {}", async () => {
    const r = await registry.invoke("echo", "", ctx());
    expect(r).toMatchObject({ ok: false, error: { code: "bad_request" } });
    if (!r.ok) expect(r.error.message).toContain('["text"]');
  });

  it("turns a throwing tool into an error result, never a throw", async () => {
    const boom = new ToolRegistry()
      .register({
        ...echo,
        name: "bad_input",
        run: async () => {
          throw new CairnError("bad_request", "nope", { reason: "x" });
        },
      })
      .register({
        ...echo,
        name: "crash",
        run: async () => {
          throw new TypeError("kaput");
        },
      });
    expect(await boom.invoke("bad_input", '{"text":"a"}', ctx())).toEqual({
      ok: false,
      error: { code: "bad_request", message: "nope", details: { reason: "x" } },
    });
    expect(await boom.invoke("crash", '{"text":"a"}', ctx())).toEqual({ ok: false, error: { code: "internal", message: "kaput" } });
  });

  it("does not start a tool on an aborted signal", async () => {
    const ac = new AbortController();
    ac.abort();
    let ran = false;
    const r = new ToolRegistry().register({
      ...echo,
      run: async () => {
        ran = true;
        return { output: "" };
      },
    });
    expect(await r.invoke("echo", '{"text":"a"}', ctx(ac.signal))).toMatchObject({ ok: false, error: { code: "run_interrupted" } });
    expect(ran).toBe(false);
  });
});
