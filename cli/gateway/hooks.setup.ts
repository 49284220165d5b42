import { join } from "node:path";
import { HookDispatcher, discoverHooks, type HookDef } from "../../actors/hooks/index.ts";
import type { Settings } from "../config/index.ts";
import type { Paths } from "../paths.ts";

/**
 * The hooks this installation has, in the seed's order: `<workspace>/.cairn/hooks` (the
 * workspaces directory is the gateway's workspace), `<config dir>/hooks`, `[[hooks]]` in
 * cairn.toml, then the bundled ones. Shared by the gateway and `cairn hooks`, so both see the same.
 */
export const findHooks = (settings: Pick<Settings, "hooks" | "configFile">, paths: Paths): HookDef[] =>
  discoverHooks({
    projectDir: join(paths.workspacesDir, ".cairn", "hooks"),
    userDir: join(paths.configDir, "hooks"),
    config: { entries: settings.hooks, file: settings.configFile ?? paths.configFile },
  });

/** The gateway's dispatcher; a hook that cannot run is reported once at start with why. */
export const gatewayHooks = (settings: Settings, paths: Paths, log: (line: string) => void): HookDispatcher => {
  const hooks = findHooks(settings, paths);
  for (const h of hooks) if (h.enabled && !h.eligible) log(`hook ${h.name} is skipped: ${h.reasons.join("; ")}`);
  const active = hooks.filter((h) => h.eligible);
  if (active.length > 0) log(`hooks: ${active.map((h) => `${h.name} (${h.events.join(", ")})`).join("; ")}`);
  return new HookDispatcher(hooks, { now: Date.now, report: log });
};
