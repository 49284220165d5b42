import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Llama } from "node-llama-cpp";

/**
 * The process-wide node-llama-cpp runtime: one `Llama` binding per compute mode, shared by every
 * local model, plus the thread-count policy.
 *
 * Nothing is downloaded or compiled at run time: `build: "never"` + `skipDownload: true` make
 * getLlama use the prebuilt binary from the `@node-llama-cpp/<platform>` optional package (npm
 * installs it; node-llama-cpp's postinstall only test-loads it) and fail with NoBinaryFoundError
 * instead of cloning llama.cpp from GitHub and running cmake. `maxThreads: 0` removes
 * node-llama-cpp's own thread cap (default max(math cores, 4), i.e. 4 on a 2-core machine:
 * oversubscribed and ~500× slower on the tiny test model), so each context's explicit `threads`
 * is exactly what runs.
 */

type LlamaModule = typeof import("node-llama-cpp");

let moduleP: Promise<LlamaModule> | undefined;
/** node-llama-cpp, imported on first use: a gateway without local models never loads the addon. */
export const nodeLlamaCpp = (): Promise<LlamaModule> => (moduleP ??= import("node-llama-cpp"));

export type ComputeMode = "cpu" | "gpu";
const runtimes = new Map<ComputeMode, Promise<Llama>>();

type LogSink = (level: string, message: string) => void;
const sinks = new Set<LogSink>();

/**
 * Runs `fn` while collecting llama.cpp's log lines: llama.cpp reports why a model failed to
 * load only through its log (the exception node-llama-cpp throws just says "Failed to load
 * model"). Lines from another model loading at the same time may interleave; loads are
 * serialized by the callers to keep that rare.
 */
export async function withLlamaLogs<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; logs: string[] }> {
  const logs: string[] = [];
  const sink: LogSink = (level, message) => logs.push(`${level}: ${message}`);
  sinks.add(sink);
  try {
    return { result: await fn(), logs };
  } catch (error) {
    // llama.cpp's lines reach JS through a thread-safe callback queued on the event loop, so
    // the reason can arrive after the exception: give it up to ~100 ms.
    for (let i = 0; i < 10 && !logs.some((l) => l.startsWith("error")); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    return { error, logs };
  } finally {
    sinks.delete(sink);
  }
}

/** The shared binding for a compute mode; created once, kept for the life of the process. */
export function sharedLlama(mode: ComputeMode): Promise<Llama> {
  let p = runtimes.get(mode);
  if (!p) {
    p = (async () => {
      const { getLlama, LlamaLogLevel } = await nodeLlamaCpp();
      return getLlama({
        gpu: mode === "gpu" ? "auto" : false,
        build: "never",
        skipDownload: true,
        progressLogs: false,
        maxThreads: 0,
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => {
          const line = message.trim();
          if (!line) return;
          for (const sink of sinks) sink(level, line);
        },
      });
    })();
    // A failed start is not cached: the next load retries (and reports the same error again).
    p.catch(() => runtimes.delete(mode));
    runtimes.set(mode, p);
  }
  return p;
}

/** Physical cores from /proc/cpuinfo (unique physical id + core id pairs), if it says. */
function linuxPhysicalCores(): number | null {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const cores = new Set<string>();
    let physical = "0";
    for (const line of text.split("\n")) {
      const [k, v] = line.split(":").map((s) => s?.trim());
      if (k === "physical id") physical = v;
      else if (k === "core id") cores.add(`${physical}:${v}`);
    }
    return cores.size > 0 ? cores.size : null;
  } catch {
    return null;
  }
}

/** CPUs the cgroup (v2 `cpu.max`) lets this process use, e.g. `docker run --cpus=2`. */
function cgroupCpuLimit(): number | null {
  try {
    const [quota, period] = readFileSync("/sys/fs/cgroup/cpu.max", "utf8").trim().split(/\s+/);
    if (quota === "max") return null;
    const n = Number(quota) / Number(period);
    return Number.isFinite(n) && n > 0 ? Math.max(1, Math.floor(n)) : null;
  } catch {
    return null;
  }
}

/**
 * The default thread count: the physical cores this process may use, minus one (at least 1).
 *
 * - Never more than physical cores: hyperthreads share a core's math units, so a second thread
 *   per core only adds contention; the CPU affinity and cgroup quota cap it further (a container
 *   limited to 2 CPUs on a 32-core host must not start 16 threads).
 * - Minus one: ggml's worker threads spin at a barrier after every operation, so when all cores
 *   compute, anything else that runs (the gateway's own event loop streaming the tokens out,
 *   nats-server, another process) stalls every barrier for a scheduler slice. Measured on the
 *   2-core dev VM under load: 1 thread ~1,200-2,300 tok/s on the tiny test model, 2 threads
 *   24-77 tok/s; on a 33M-parameter model 1 thread 120-135 tok/s, 2 threads 15-100.
 *   On big machines the reserved core costs little.
 */
export function defaultThreads(): number {
  const logical = availableParallelism();
  const physical = linuxPhysicalCores() ?? logical;
  const usable = Math.min(physical, logical, cgroupCpuLimit() ?? logical);
  return Math.max(1, usable - 1);
}

export interface LlamaRuntimeInfo {
  /** "prebuilt" (the npm binary) or "localBuild"; never built at run time by cairn. */
  buildType: string;
  gpu: string | false;
  llamaCpp: string;
  /** llama.cpp's count of cores useful for math (physical performance cores). */
  cpuMathCores: number;
}

/** The runtime for `mode`, started if needed (for `cairn doctor` and the tests). */
export async function llamaRuntimeInfo(mode: ComputeMode = "cpu"): Promise<LlamaRuntimeInfo> {
  const llama = await sharedLlama(mode);
  return {
    buildType: llama.buildType,
    gpu: llama.gpu,
    llamaCpp: `${llama.llamaCppRelease.repo}@${llama.llamaCppRelease.release}`,
    cpuMathCores: llama.cpuMathCores,
  };
}
