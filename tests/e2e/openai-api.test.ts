/**
 * The OpenAI-compatible API through a real gateway, with the real `openai` SDK as the client (the
 * scripted model behind the gateway speaks OpenAI's wire protocol too): models, a whole and a
 * streamed completion, a stream the client leaves (the run stops), a named session that keeps its
 * history, tools running behind the API and in the log, and the refusals a client meets (no key, a key without operator.write, an unknown
 * model, a cross-site post).
 */
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();

const key = async (scopes?: string): Promise<string> => {
  const r = await gw.cli([
    "auth",
    "keys",
    "create",
    "--label",
    `api-${scopes ?? "all"}`,
    ...(scopes ? ["--scopes", scopes] : []),
    "--json",
  ]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { key: string }).key;
};
const client = (apiKey: string, headers: Record<string, string> = {}) =>
  new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers });
/** The gateway treats a client behind an (untrusted) forwarding header as remote: a key is required. */
const REMOTE = { "X-Forwarded-For": "203.0.113.20" };

describe("OpenAI-compatible API", () => {
  test("models, then a whole completion in a throwaway session that got the client's earlier messages", async () => {
    const openai = client(await key(), REMOTE);
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain("cairn");
    expect(models.data.map((m) => m.id)).toContain("openai/test-model");

    llm.script({ chunks: ["Paris", "."] });
    const { data, response } = await openai.chat.completions
      .create({
        model: "cairn",
        messages: [
          { role: "system", content: "Answer briefly." },
          { role: "user", content: "Capital of Italy?" },
          { role: "assistant", content: "Rome." },
          { role: "user", content: "And of France?" },
        ],
      })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]).toMatchObject({ message: { role: "assistant", content: "Paris." }, finish_reason: "stop" });
    const session = response.headers.get("x-cairn-session") ?? "";
    expect(session).toMatch(/^api-[0-9a-f]{18}$/);
    const sent = JSON.stringify(llm.requests.at(-1)?.body.messages);
    expect(sent).toContain("Capital of Italy?");
    expect(sent).toContain("And of France?");
    // The session is a real one, named by the question, with the message and the reply.
    await expect
      .poll(async () => JSON.parse((await gw.cli(["sessions", "show", session, "--json"])).stdout).session)
      .toMatchObject({ title: expect.stringMatching(/^And of France\?/), messageCount: 2 });
  });

  test("a streamed completion in a named session arrives as chunks; the session keeps its history", async () => {
    const openai = client(await key("operator.read,operator.write"), { ...REMOTE, "X-Cairn-Session": "api-named" });
    llm.script({ chunks: ["one", " two", " three"] });
    const stream = await openai.chat.completions.create({ model: "cairn", stream: true, messages: [{ role: "user", content: "count" }] });
    const deltas: string[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      if (c.choices[0]?.delta.content) deltas.push(c.choices[0].delta.content);
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas.join("")).toBe("one two three");
    expect(finish).toBe("stop");
    // The second request sends only its last message; the model still sees the first turn.
    llm.script({ chunks: ["four"] });
    await openai.chat.completions.create({
      model: "cairn",
      messages: [
        { role: "user", content: "count" },
        { role: "assistant", content: "one two three" },
        { role: "user", content: "go on" },
      ],
    });
    const messages = llm.requests.at(-1)?.body.messages as { role: string; content: unknown }[];
    expect(messages.filter((m) => m.role === "user").map((m) => JSON.stringify(m.content))).toEqual(['"count"', '"go on"']);
  });

  test("a client that leaves a stream stops the run; on loopback the SDK's placeholder key is the owner's", async () => {
    const openai = client("sk-local", { "X-Cairn-Session": "api-leaver" });
    llm.script({ hang: { chunkIntervalMs: 20, text: "la " } });
    const stream = await openai.chat.completions.create({
      model: "cairn",
      stream: true,
      messages: [{ role: "user", content: "sing forever" }],
    });
    let got = 0;
    // Leaving the loop aborts the SDK's request: the connection closes.
    for await (const c of stream) if (c.choices[0]?.delta.content && ++got === 3) break;
    expect(got).toBe(3);
    await expect
      .poll(async () => (await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "200"])).stdout)
      .toMatch(/"type":"run\.cancelled"/);
  });

  test("the agent's tools run behind the API, and the story is in the log", async () => {
    const openai = client(await key(), { ...REMOTE, "X-Cairn-Session": "api-tools" });
    llm.script(
      { toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "from-api.txt", content: "hi\n" }) }] },
      { chunks: ["Written."] },
    );
    const r = await openai.chat.completions.create({ model: "openai/test-model", messages: [{ role: "user", content: "write it" }] });
    expect(r.choices[0].message.content).toBe("Written.");
    // The message is the key's: the log names it as the actor.
    const sessionEvents = (await gw.cli(["events", "tail", "--json", "--session", "api-tools", "-n", "200"])).stdout;
    const message = sessionEvents
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; actor: string | null })
      .find((e) => e.type === "session.user_message");
    expect(message?.actor).toBe("user:key:api-all");
    const log = (await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "200"])).stdout;
    expect(log).toContain("run.tool_finished");
    expect(log).toContain("from-api.txt");
  });

  test("refusals in OpenAI's shape: no key, a read-only key, an unknown model, client tools, a cross-site post", async () => {
    await expect(client("ck_not-a-real-key-000000000000000000000000000", REMOTE).models.list()).rejects.toMatchObject({
      status: 401,
      code: "invalid_api_key",
    });
    const readOnly = client(await key("operator.read"), REMOTE);
    expect((await readOnly.models.list()).data.length).toBeGreaterThan(0);
    await expect(readOnly.chat.completions.create({ model: "cairn", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({
      status: 403,
      code: "forbidden",
    });
    const full = client(await key(), REMOTE);
    await expect(full.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(
      full.chat.completions.create({
        model: "cairn",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "f", parameters: {} } }],
      }),
    ).rejects.toMatchObject({ status: 400 });
    // On loopback no key is needed, so a page in the owner's browser must not be able to post.
    const form = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ model: "cairn", messages: [{ role: "user", content: "rm -rf ~" }] }),
    });
    expect(form.status).toBe(400);
    const foreign = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "https://evil.example" },
      body: JSON.stringify({ model: "cairn", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(foreign.status).toBe(403);
  });
});
