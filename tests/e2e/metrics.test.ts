/**
 * GET /metrics and `cairn metrics` through a real gateway (child process, embedded nats-server, the
 * scripted LLM server speaking OpenAI's wire protocol): chats, a tool call and a provider failure
 * move the families by exactly what happened.
 */
import { expect, test } from "vitest";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";
import { scrape, type Scrape } from "../fixtures/prometheus.ts";

const { llm, gw } = useGatewayWithLlm();
const MODEL = { provider: "openai", model: "test-model" };

const delta = (before: Scrape, after: Scrape, f: (s: Scrape) => number) => f(after) - f(before);

test("a chat counts one completion with its tokens, duration and time to first token, and the run's appends", async () => {
  const before = await scrape(gw.url);
  llm.script({ chunks: ["Hello ", "there."], usage: { inputTokens: 11, outputTokens: 7, cacheReadTokens: 3 } });
  const r = await gw.cli(["chat", "-s", "metrics-1", "hi"]);
  expect(r.code, r.stderr).toBe(0);
  const after = await scrape(gw.url);

  expect(delta(before, after, (s) => s.value("cairn_llm_completions_total", { ...MODEL, outcome: "ok" }))).toBe(1);
  expect(delta(before, after, (s) => s.value("cairn_llm_input_tokens_total", MODEL))).toBe(11);
  expect(delta(before, after, (s) => s.value("cairn_llm_output_tokens_total", MODEL))).toBe(7);
  expect(delta(before, after, (s) => s.value("cairn_llm_cache_read_tokens_total", MODEL))).toBe(3);
  expect(delta(before, after, (s) => s.count("cairn_llm_completion_duration_seconds", MODEL))).toBe(1);
  expect(delta(before, after, (s) => s.count("cairn_llm_time_to_first_token_seconds", MODEL))).toBe(1);
  // The first token cannot come after the last chunk.
  expect(after.sum("cairn_llm_time_to_first_token_seconds", MODEL)).toBeLessThanOrEqual(
    after.sum("cairn_llm_completion_duration_seconds", MODEL),
  );
  expect(delta(before, after, (s) => s.value("cairn_llm_completion_errors_total"))).toBe(0);
  // run.started and run.completed, each with its payload bytes.
  expect(delta(before, after, (s) => s.value("cairn_event_log_appends_total", { kind: "run" }))).toBe(2);
  expect(delta(before, after, (s) => s.value("cairn_event_log_append_bytes_total", { kind: "run" }))).toBeGreaterThan(0);
  expect(after.value("cairn_event_log_append_conflicts_total")).toBe(0);
  expect(delta(before, after, (s) => s.value("cairn_http_requests_total", { route: "metrics", status: "200" }))).toBe(1);
  expect(after.families.get("cairn_http_request_duration_seconds")?.type).toBe("HISTOGRAM");
});

test("a tool call is counted and timed by tool; the model answers twice", async () => {
  const before = await scrape(gw.url);
  llm.script({ toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "a.txt", content: "x\n" }) }] }, { chunks: ["Done."] });
  const r = await gw.cli(["chat", "-s", "metrics-2", "write a file"]);
  expect(r.code, r.stderr).toBe(0);
  const after = await scrape(gw.url);
  expect(delta(before, after, (s) => s.value("cairn_tool_executions_total", { tool: "write_file", outcome: "ok" }))).toBe(1);
  expect(delta(before, after, (s) => s.count("cairn_tool_execution_duration_seconds", { tool: "write_file" }))).toBe(1);
  expect(delta(before, after, (s) => s.value("cairn_tool_execution_errors_total"))).toBe(0);
  expect(delta(before, after, (s) => s.value("cairn_llm_completions_total", { ...MODEL, outcome: "ok" }))).toBe(2);
  // started, tool_call_requested, tool_started, tool_finished, completed
  expect(delta(before, after, (s) => s.value("cairn_event_log_appends_total", { kind: "run" }))).toBe(5);
});

test("a tool call the model got wrong counts as an error of that tool, by code", async () => {
  const before = await scrape(gw.url);
  llm.script({ toolCalls: [{ name: "write_file", arguments: "{not json" }] }, { chunks: ["Sorry."] });
  expect((await gw.cli(["chat", "-s", "metrics-3", "write badly"])).code).toBe(0);
  const after = await scrape(gw.url);
  expect(delta(before, after, (s) => s.value("cairn_tool_executions_total", { tool: "write_file", outcome: "error" }))).toBe(1);
  expect(delta(before, after, (s) => s.value("cairn_tool_execution_errors_total", { tool: "write_file", error_type: "bad_request" }))).toBe(
    1,
  );
});

test("a provider failure counts one failed completion by its error code, and no tokens", async () => {
  const before = await scrape(gw.url);
  llm.script({ error: { status: 400, message: "bad things" } });
  const r = await gw.cli(["chat", "-s", "metrics-4", "fail please"]);
  expect(r.code).not.toBe(0);
  const after = await scrape(gw.url);
  expect(delta(before, after, (s) => s.value("cairn_llm_completions_total", { ...MODEL, outcome: "error" }))).toBe(1);
  expect(delta(before, after, (s) => s.value("cairn_llm_completion_errors_total", MODEL))).toBe(1);
  const codes = after.labelValues("cairn_llm_completion_errors_total", "error_type");
  expect(codes).toHaveLength(1);
  expect(codes[0]).toMatch(/^[a-z_]+$/);
  expect(delta(before, after, (s) => s.value("cairn_llm_input_tokens_total", MODEL))).toBe(0);
});

test("process, NATS, projection and node families are there; no label holds a session key", async () => {
  const s = await scrape(gw.url);
  expect(s.value("cairn_process_resident_memory_bytes")).toBeGreaterThan(0);
  expect(s.families.get("cairn_nodejs_eventloop_lag_seconds")?.type).toBe("GAUGE");
  expect(s.families.has("cairn_nodejs_gc_duration_seconds")).toBe(true);
  expect(s.value("cairn_nats_connected")).toBe(1);
  expect(s.value("cairn_nats_sent_messages_total")).toBeGreaterThan(0);
  expect(s.value("cairn_projection_lag_events")).toBeGreaterThanOrEqual(0);
  expect(s.value("cairn_projection_checkpoint_sequence")).toBeGreaterThan(0);
  expect(s.value("cairn_nodes_connected")).toBe(0);
  expect(s.families.has("cairn_edge_ws_connections")).toBe(true);
  for (const key of ["metrics-1", "metrics-2", "metrics-3", "metrics-4", "sk-test-key"]) expect(s.text).not.toContain(key);
});

test("cairn metrics prints the same figures, as text and as JSON", async () => {
  const s = await scrape(gw.url);
  const j = await gw.cli(["metrics", "--json"]);
  expect(j.code, j.stderr).toBe(0);
  const reply = JSON.parse(j.stdout) as {
    enabled: boolean;
    families: { name: string; values: { value: number; labels: Record<string, string> }[] }[];
  };
  expect(reply.enabled).toBe(true);
  const tokens = reply.families.find((f) => f.name === "cairn_llm_input_tokens_total");
  expect(tokens?.values.find((v) => v.labels.model === "test-model")?.value).toBe(s.value("cairn_llm_input_tokens_total", MODEL));
  const t = await gw.cli(["metrics"]);
  expect(t.code, t.stderr).toBe(0);
  expect(t.stdout).toContain(
    `cairn_llm_input_tokens_total{provider="openai",model="test-model"}  ${s.value("cairn_llm_input_tokens_total", MODEL)}`,
  );
  expect(t.stdout).toMatch(/cairn_llm_completion_duration_seconds\{provider="openai",model="test-model"\} {2}count \d+ {2}sum /);
  expect(t.stdout).not.toContain("sk-test-key");
  const help = await gw.cli(["metrics", "--help"]);
  expect(help.stdout).toContain("Usage: cairn metrics [--json]");
});
