import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isCairnError, type HookConfigEntry, type HookEventName, type HookSource } from "../../schemas/index.ts";
import { type HostFacts, thisHost, unmetRequirements } from "./hook.eligibility.ts";
import { parseHookMd } from "./hook.format.ts";

/** Seconds a hook may run when it says nothing (the seed's default). */
export const DEFAULT_HOOK_TIMEOUT_MS = 5_000;

/** A hook as discovered: where it came from, what it runs, and whether it may run here. */
export interface HookDef {
  readonly name: string;
  readonly description: string;
  readonly source: HookSource;
  /** The HOOK.md or cairn.toml it came from. */
  readonly path: string;
  /** Where its command runs. */
  readonly dir: string;
  readonly events: readonly HookEventName[];
  readonly command: string;
  readonly timeoutMs: number;
  readonly priority: number;
  readonly env: Readonly<Record<string, string>>;
  readonly enabled: boolean;
  /** Enabled and its requirements met. */
  readonly eligible: boolean;
  readonly reasons: readonly string[];
  /** The prose of its HOOK.md. */
  readonly body: string;
}

/** The hooks shipped with cairn (disabled until `[[hooks]] name = "…" enabled = true`). */
// From the sources (actors/hooks/) or from the CLI bundle (dist/cli/), which ships no copy of them.
const here = dirname(fileURLToPath(import.meta.url));
export const BUNDLED_HOOKS_DIR =
  [join(here, "bundled"), join(here, "..", "..", "actors", "hooks", "bundled")].find((d) => existsSync(d)) ?? join(here, "bundled");

export interface DiscoveryOptions {
  /** `<workspace>/.cairn/hooks`: project-local, first. */
  readonly projectDir?: string;
  /** `<config dir>/hooks`: the user's. */
  readonly userDir?: string;
  /** `[[hooks]]` of cairn.toml, and the file (relative commands run in its directory). */
  readonly config?: { readonly entries: readonly HookConfigEntry[]; readonly file: string };
  /** Shipped hooks; default `BUNDLED_HOOKS_DIR`, null for none. */
  readonly bundledDir?: string | null;
  readonly host?: HostFacts;
}

type Found = Omit<HookDef, "eligible" | "reasons"> & { readonly requires?: HookConfigEntry["requires"]; readonly invalid?: string };

const fromDir = (dir: string | undefined | null, source: HookSource): Found[] => {
  if (!dir || !existsSync(dir)) return [];
  const found: Found[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const hookDir = join(dir, entry.name);
    const file = join(hookDir, "HOOK.md");
    if (!existsSync(file)) continue;
    const base = { description: "", source, path: file, dir: hookDir, timeoutMs: DEFAULT_HOOK_TIMEOUT_MS, priority: 0, env: {}, body: "" };
    try {
      const { front, body } = parseHookMd(readFileSync(file, "utf8"), file);
      found.push({
        ...base,
        name: front.name,
        description: front.description ?? "",
        events: front.events,
        command: front.command,
        timeoutMs: front.timeout !== undefined ? Math.round(front.timeout * 1000) : DEFAULT_HOOK_TIMEOUT_MS,
        priority: front.priority ?? 0,
        env: front.env ?? {},
        enabled: front.enabled ?? true,
        body,
        ...(front.requires ? { requires: front.requires } : {}),
      });
    } catch (e) {
      // Listed with its error, never run: a typo in one hook must not hide the others.
      found.push({ ...base, name: entry.name, events: [], command: "", enabled: false, invalid: isCairnError(e) ? e.message : String(e) });
    }
  }
  return found;
};

/**
 * Every hook, in the seed's precedence order: project-local, then the user's, then those defined
 * in cairn.toml, then the bundled ones; a name seen earlier hides a later one. A `[[hooks]]`
 * entry without a command tunes the hook of that name wherever it was found (`enabled`, `env`,
 * `priority`, `timeout`, `events`). Sorted by priority (higher first), then name: the order
 * modifying hooks run in.
 */
export const discoverHooks = (o: DiscoveryOptions): HookDef[] => {
  const host = o.host ?? thisHost();
  const entries = o.config?.entries ?? [];
  const configDir = o.config ? dirname(resolve(o.config.file)) : process.cwd();
  const defined: Found[] = entries
    .filter((e) => e.command !== undefined)
    .map((e) => ({
      name: e.name,
      description: e.description ?? "",
      source: "config" as const,
      path: o.config?.file ?? "cairn.toml",
      dir: configDir,
      events: e.events ?? [],
      command: e.command ?? "",
      timeoutMs: e.timeout !== undefined ? Math.round(e.timeout * 1000) : DEFAULT_HOOK_TIMEOUT_MS,
      priority: e.priority ?? 0,
      env: e.env ?? {},
      enabled: e.enabled ?? true,
      body: "",
      ...(e.requires ? { requires: e.requires } : {}),
      ...(e.events === undefined ? { invalid: `${o.config?.file}: [[hooks]] ${e.name} has a command but no events` } : {}),
    }));
  const all = [
    ...fromDir(o.projectDir, "project"),
    ...fromDir(o.userDir, "user"),
    ...defined,
    ...fromDir(o.bundledDir === undefined ? BUNDLED_HOOKS_DIR : o.bundledDir, "bundled"),
  ];
  const seen = new Set<string>();
  const hooks: HookDef[] = [];
  for (const f of all) {
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    const tune = entries.find((e) => e.name === f.name && (e.command === undefined || f.source === "config"));
    const env = { ...f.env, ...(tune?.env ?? {}) };
    const enabled = tune?.enabled ?? f.enabled;
    const { requires, invalid, ...def } = f;
    const reasons = invalid
      ? [invalid]
      : [
          ...(enabled ? [] : [f.source === "bundled" ? "bundled hooks are off until enabled in cairn.toml" : "disabled"]),
          ...unmetRequirements(requires, host, env),
        ];
    hooks.push({
      ...def,
      env,
      enabled: enabled && !invalid,
      events: tune?.events ?? f.events,
      timeoutMs: tune?.timeout !== undefined ? Math.round(tune.timeout * 1000) : f.timeoutMs,
      priority: tune?.priority ?? f.priority,
      eligible: reasons.length === 0,
      reasons,
    });
  }
  return hooks.sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
};
