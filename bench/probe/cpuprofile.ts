/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and attributes self time, within a time
 * window, to packages / cairn folders / Node internals, and to individual functions.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const readProfile = (file: string): CpuProfile => JSON.parse(readFileSync(file, "utf8"));

/** Where a function's code lives: an npm package, a cairn folder, a Node internal, or V8 itself. */
export function categoryOf(cf: CallFrame): string {
  const url = cf.url;
  if (!url) return cf.functionName.startsWith("(") ? cf.functionName : "(V8 / native)";
  if (url.startsWith("node:")) {
    const rest = url.replace(/^node:(internal\/)?/, "");
    if (rest.startsWith("modules/")) return "node: module loader";
    return `node: ${rest.split("/")[0]}`;
  }
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = path.slice(nm + "/node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (/\/dist\/cli\//.test(path)) return "cairn (dist bundle)";
  const m = /\/(schemas|bus|actors|projections|cli|tests|bench)\//.exec(path);
  return m ? `cairn/${m[1]}` : path;
}

export interface Attribution {
  windowMs: number;
  byCategory: Array<{ name: string; ms: number }>;
  topFunctions: Array<{ name: string; category: string; ms: number }>;
}

/** Self time per category and per function for samples in [fromUs, toUs] (profile clock, µs). */
export function attribute(p: CpuProfile, fromUs = -Infinity, toUs = Infinity, top = 15): Attribution {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const cat = new Map<string, number>();
  const fn = new Map<string, { category: string; us: number }>();
  let t = p.startTime;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    // A sample's duration is the gap to the next one.
    const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
    first = Math.min(first, t);
    last = Math.max(last, t + dt);
    const node = byId.get(p.samples[i])!;
    const c = categoryOf(node.callFrame);
    cat.set(c, (cat.get(c) ?? 0) + dt);
    const where = node.callFrame.url
      ? `${node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, "")}:${node.callFrame.lineNumber + 1}`
      : "";
    const key = `${node.callFrame.functionName || "(anonymous)"} ${where}`.trim();
    const f = fn.get(key) ?? { category: c, us: 0 };
    f.us += dt;
    fn.set(key, f);
  }
  const sorted = [...cat].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  const topFunctions = [...fn]
    .filter(([, v]) => !["(idle)", "(program)", "(garbage collector)", "(root)"].includes(v.category))
    .map(([name, v]) => ({ name, category: v.category, ms: v.us / 1000 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
  return { windowMs: Number.isFinite(first) ? (last - first) / 1000 : 0, byCategory: sorted, topFunctions };
}

export interface Span {
  name: string;
  /** First and last sample with the function on the stack, ms after the profile started. */
  firstMs: number;
  lastMs: number;
  /** Samples with the function on the stack (CPU time inside it, callees included). */
  cpuMs: number;
}

/**
 * When each named function was running: first and last sample with it anywhere on the stack. An
 * async function shows up in the samples of its own continuations, so first→last approximates its
 * wall-clock span (waits at its ends excluded).
 */
export function spans(p: CpuProfile, names: readonly string[]): Span[] {
  const parent = new Map<number, number>();
  for (const n of p.nodes as Array<ProfileNode & { children?: number[] }>) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const wanted = new Set(names);
  const acc = new Map<string, Span>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
    const seen = new Set<string>();
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)!.callFrame.functionName;
      if (!wanted.has(name) || seen.has(name)) continue;
      seen.add(name);
      const at = (t - p.startTime) / 1000;
      const s = acc.get(name) ?? { name, firstMs: at, lastMs: at, cpuMs: 0 };
      s.lastMs = at + dt / 1000;
      s.cpuMs += dt / 1000;
      acc.set(name, s);
    }
  }
  return names.filter((n) => acc.has(n)).map((n) => acc.get(n)!);
}
