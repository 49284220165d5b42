/**
 * Helpers for the chaos tests: spawned (not awaited) CLI chats, bounded polling, the event log as
 * the CLI prints it, the nats-server processes of a data dir (from /proc), and chat history over
 * the WebSocket protocol. Everything a test starts is registered so `cleanupAll()` can end it even
 * when an assertion failed half-way.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { BIN, startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { connectWs } from "../fixtures/ws-client.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup registry

const gateways = new Set<GatewayProc>();
const llms = new Set<LlmServer>();
const children = new Set<ChildProcess>();
const strayPids = new Set<number>();
const configDirs = new Set<string>();

export async function startLlm(): Promise<LlmServer> {
  const llm = await startLlmServer();
  llms.add(llm);
  return llm;
}

/** A gateway process on a fresh data dir; `configToml` becomes the cairn.toml of a config dir of its own. */
export async function startGateway(llm: LlmServer, o: { configToml?: string } = {}): Promise<GatewayProc> {
  let extraEnv: NodeJS.ProcessEnv = {};
  if (o.configToml !== undefined) {
    const configDir = mkdtempSync(join(tmpdir(), "cairn-chaos-config-"));
    configDirs.add(configDir);
    writeFileSync(join(configDir, "cairn.toml"), o.configToml);
    extraEnv = { CAIRN_CONFIG_DIR: configDir };
  }
  const gw = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv });
  gateways.add(gw);
  return gw;
}

/** A process the test found (e.g. a nats-server) that must not outlive the test. */
export const trackPid = (pid: number) => void strayPids.add(pid);

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is gone for every purpose here.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
};

/** Ends everything the test started: CLI children, gateways (and their nats-servers), LLM servers. */
export async function cleanupAll(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
  for (const gw of gateways) {
    const natsPids = natsServersFor(gw.dataDir);
    await Promise.race([gw.dispose().catch(() => {}), sleep(20_000)]);
    // dispose() kills the pid-file server; a second one (the bug this suite looks for) would linger.
    for (const pid of natsPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  gateways.clear();
  for (const dir of configDirs) rmSync(dir, { recursive: true, force: true });
  configDirs.clear();
  for (const pid of strayPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  strayPids.clear();
  for (const llm of llms) await llm.close().catch(() => {});
  llms.clear();
}

// ---------------------------------------------------------------------------------------------
// Spawned CLI commands

export interface SpawnedCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export function spawnCli(gw: GatewayProc, args: string[]): SpawnedCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: gw.env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for a spawned command to exit, killing it after `timeoutMs`. */
export async function exitOf(c: SpawnedCli, timeoutMs: number): Promise<number | null | "timeout"> {
  const r = await Promise.race([c.exited, sleep(timeoutMs).then(() => "timeout" as const)]);
  if (r === "timeout") c.child.kill("SIGKILL");
  return r;
}

/** Spawns `cairn chat` and waits until at least `minChars` of reply text reached its stdout. */
export async function chatUntilStreaming(gw: GatewayProc, session: string, text: string, minChars = 20): Promise<SpawnedCli> {
  const chat = spawnCli(gw, ["chat", "--session", session, text]);
  await waitUntil(
    `'cairn chat' to print ${minChars} chars of streamed reply`,
    () => {
      if (chat.child.exitCode !== null)
        throw new Error(`cairn chat exited early (${chat.child.exitCode}): ${chat.stdout()} ${chat.stderr()}`);
      return chat.stdout().length >= minChars;
    },
    15_000,
  );
  return chat;
}

// ---------------------------------------------------------------------------------------------
// The event log (as `cairn events tail --json` prints it)

export interface LoggedEvent {
  seq: number;
  type: string;
  kind: string;
  id: string;
  time: string;
  eventId?: string;
  data: any;
  error?: string;
}

export async function readEvents(gw: GatewayProc): Promise<LoggedEvent[]> {
  const r = await gw.cli(["events", "tail", "--json", "-n", "100000"], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`cairn events tail failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LoggedEvent);
}

/** Log-wide sanity: contiguous sequences from 1, unique event ids, every event decodable. */
export function expectSaneLog(events: LoggedEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const ids = events.map((e) => e.eventId);
  expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  expect(events.filter((e) => e.error !== undefined)).toEqual([]);
}

/** The events of one chat turn: the user message of `text` in `session`, its run and run end. */
export function turnEvents(events: LoggedEvent[], session: string, text: string) {
  const userMessages = events.filter((e) => e.type === "session.user_message" && e.id === session && e.data.text === text);
  expect(userMessages, `one session.user_message for '${text}'`).toHaveLength(1);
  const runId: string = userMessages[0].data.runId;
  const run = events.filter((e) => e.kind === "run" && e.id === runId);
  const ended = events.filter((e) => e.type === "session.run_ended" && e.id === session && e.data.runId === runId);
  return { userMessage: userMessages[0], runId, run, ended };
}

// ---------------------------------------------------------------------------------------------
// nats-server processes of a data dir

export const natsPidFile = (dataDir: string) => join(dataDir, "nats", "nats-server.pid");

export function readNatsPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(natsPidFile(dataDir), "utf8").split("\n")[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Live nats-server processes started with this data dir's config file, found by scanning /proc. */
export function natsServersFor(dataDir: string): number[] {
  const config = join(dataDir, "nats", "nats-server.conf");
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv[0] && /nats-server$/.test(argv[0]) && argv.includes(config) && isAlive(Number(name))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export const runtimeFiles = (dataDir: string) => ({
  lock: join(dataDir, "gateway.lock"),
  runtime: join(dataDir, "gateway.json"),
  natsPid: natsPidFile(dataDir),
});

export const existing = (files: Record<string, string>) =>
  Object.entries(files)
    .filter(([, f]) => existsSync(f))
    .map(([k]) => k);

// ---------------------------------------------------------------------------------------------
// Chat history over the WebSocket protocol

export interface HistoryMessage {
  id: string;
  role: "user" | "assistant";
  text: string;
  status: string;
  runId: string | null;
  error: { code: string; message: string } | null;
}

export async function wsHistory(gw: GatewayProc, sessionKey: string): Promise<{ messages: HistoryMessage[]; activeRun: unknown }> {
  const ws = await connectWs(`${gw.url.replace(/^http/, "ws").replace(/\/$/, "")}/ws`);
  try {
    const hello = await ws.request("connect", { protocol: 1, client: { name: "chaos-test" } });
    if (!hello.ok) throw new Error(`connect refused: ${JSON.stringify(hello)}`);
    const res = await ws.request("chat.history", { sessionKey });
    if (!res.ok) throw new Error(`chat.history failed: ${JSON.stringify(res)}`);
    return res.payload;
  } finally {
    ws.destroy();
  }
}

/** Texts of the user messages the model received in one request (OpenAI wire shape). */
export const userTexts = (body: any): string[] =>
  (Array.isArray(body?.messages) ? body.messages : [])
    .filter((m: any) => m.role === "user")
    .map((m: any) =>
      typeof m.content === "string" ? m.content : Array.isArray(m.content) ? m.content.map((p: any) => p.text ?? "").join("") : "",
    );

export const lastUserText = (body: any): string | undefined => userTexts(body).at(-1);
