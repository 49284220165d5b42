/**
 * What a node reports about itself every 30 s: CPU, memory, root disk, uptime, runtimes and local
 * LLM providers. API keys are reported by name only: the value of a variable is never read into
 * the report (only whether it is set), so it cannot leak through telemetry.
 */
import { execFile } from "node:child_process";
import { statfs } from "node:fs/promises";
import * as os from "node:os";
import type { NodeTelemetry } from "../../schemas/index.ts";

/** Provider key variables whose presence is reported. */
export const PROVIDER_KEY_NAMES = [
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "GROQ_API_KEY",
  "OPENROUTER_API_KEY",
  "MISTRAL_API_KEY",
  "DEEPSEEK_API_KEY",
  "TOGETHER_API_KEY",
  "FIREWORKS_API_KEY",
  "CEREBRAS_API_KEY",
  "XAI_API_KEY",
  "GEMINI_API_KEY",
  "VENICE_API_KEY",
  "MOONSHOT_API_KEY",
] as const;

/** Runtime probes: the command and where its version is printed. */
const RUNTIMES: ReadonlyArray<{ name: string; cmd: string; args: string[] }> = [
  { name: "python", cmd: "python3", args: ["--version"] },
  { name: "node", cmd: "node", args: ["--version"] },
  { name: "ruby", cmd: "ruby", args: ["--version"] },
  { name: "go", cmd: "go", args: ["version"] },
  { name: "rust", cmd: "rustc", args: ["--version"] },
  { name: "java", cmd: "java", args: ["-version"] }, // prints on stderr
];

const VERSION = /(\d+\.\d+(?:\.\d+)?)/;

/** The version a probe printed (`Python 3.11.2`, `go version go1.22.1 linux/amd64`, `openjdk version "17.0.9"`). */
export const parseVersion = (text: string): string | undefined => VERSION.exec(text)?.[1];

const probe = (cmd: string, args: string[], timeoutMs: number): Promise<string | undefined> =>
  new Promise((resolve) => {
    try {
      execFile(cmd, args, { timeout: timeoutMs, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C" } }, (err, stdout, stderr) => {
        resolve(err ? undefined : parseVersion(`${stdout}\n${stderr}`));
      });
    } catch {
      resolve(undefined);
    }
  });

/** Installed runtimes, each probed in parallel with a short timeout; absent ones are left out. */
export async function detectRuntimes(timeoutMs = 2_000): Promise<Record<string, string>> {
  const found = await Promise.all(RUNTIMES.map(async (r) => [r.name, await probe(r.cmd, r.args, timeoutMs)] as const));
  return Object.fromEntries(found.filter((e): e is readonly [string, string] => e[1] !== undefined));
}

/** Ollama's model names, or null when nothing answers there quickly. */
export async function ollamaModels(baseUrl = "http://127.0.0.1:11434", timeoutMs = 1_000): Promise<string[] | null> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/api/tags`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    const body = (await res.json()) as { models?: Array<{ name?: unknown }> };
    return (body.models ?? []).map((m) => m.name).filter((n): n is string => typeof n === "string");
  } catch {
    return null;
  }
}

/** Names of the provider key variables that are set (never their values). */
export const presentApiKeys = (env: NodeJS.ProcessEnv): string[] => PROVIDER_KEY_NAMES.filter((n) => (env[n] ?? "") !== "");

export interface TelemetrySamplerOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Root of the disk to report (default `/`). */
  readonly diskPath?: string;
  readonly ollamaUrl?: string;
  /** Runtimes are re-probed at most this often (they rarely change; probing costs processes). */
  readonly runtimesTtlMs?: number;
}

type CpuTimes = { idle: number; total: number };
const cpuTimes = (): CpuTimes =>
  os.cpus().reduce(
    (acc, c) => {
      const t = c.times;
      return { idle: acc.idle + t.idle, total: acc.total + t.user + t.nice + t.sys + t.idle + t.irq };
    },
    { idle: 0, total: 0 },
  );

/** A stateful sampler: CPU usage is the busy share since the previous sample. */
export function createTelemetrySampler(opts: TelemetrySamplerOptions = {}): { sample(): Promise<NodeTelemetry> } {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const ttl = opts.runtimesTtlMs ?? 10 * 60_000;
  const ollamaUrl =
    opts.ollamaUrl ?? (env.OLLAMA_HOST ? (env.OLLAMA_HOST.includes("://") ? env.OLLAMA_HOST : `http://${env.OLLAMA_HOST}`) : undefined);
  let last = cpuTimes();
  let runtimes: { at: number; value: Record<string, string> } | undefined;
  return {
    async sample() {
      const current = cpuTimes();
      const dTotal = current.total - last.total;
      const cpuUsage = dTotal > 0 ? Math.min(1, Math.max(0, 1 - (current.idle - last.idle) / dTotal)) : 0;
      last = current;
      if (!runtimes || now() - runtimes.at > ttl) runtimes = { at: now(), value: await detectRuntimes() };
      let diskTotal = 0;
      let diskFree = 0;
      try {
        const s = await statfs(opts.diskPath ?? "/");
        diskTotal = s.blocks * s.bsize;
        diskFree = s.bavail * s.bsize;
      } catch {
        // reported as 0: a node without a readable root is still a node
      }
      return {
        cpus: os.cpus().length,
        cpuUsage: Math.round(cpuUsage * 1000) / 1000,
        memTotal: os.totalmem(),
        memFree: os.freemem(),
        diskTotal,
        diskFree,
        uptimeSeconds: Math.round(os.uptime()),
        runtimes: runtimes.value,
        providers: { ollama: await ollamaModels(ollamaUrl), apiKeys: presentApiKeys(env) },
        at: now(),
      };
    },
  };
}
