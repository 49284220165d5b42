import { HookDispatcher, type HookDef, hookPayload, isModifying, samplePayloadData } from "../../actors/hooks/index.ts";
import { CairnError, HookEventName, type HookEventName as EventName } from "../../schemas/index.ts";
import * as Schema from "effect/Schema";
import { loadSettings } from "../config/index.ts";
import { findHooks } from "../gateway/hooks.setup.ts";
import { UsageError, table } from "../output.ts";
import type { Paths } from "../paths.ts";

/**
 * `cairn hooks`: what hooks this installation has (discovered the way the gateway discovers them,
 * so no gateway needs to run), one in detail, and one run on a sample payload.
 */

const discovered = (paths: Paths, env: NodeJS.ProcessEnv): HookDef[] => findHooks(loadSettings(paths.configFile, env), paths);

const view = (h: HookDef) => ({
  name: h.name,
  description: h.description,
  source: h.source,
  path: h.path,
  events: h.events,
  command: h.command,
  timeoutMs: h.timeoutMs,
  priority: h.priority,
  enabled: h.enabled,
  eligible: h.eligible,
  reasons: h.reasons,
});

/** `cairn hooks list [--eligible] [--json]`. */
export const hooksList = (o: { eligible: boolean; json: boolean }, paths: Paths, env: NodeJS.ProcessEnv = process.env): number => {
  const hooks = discovered(paths, env).filter((h) => !o.eligible || h.eligible);
  if (o.json) {
    for (const h of hooks) process.stdout.write(`${JSON.stringify(view(h))}\n`);
    return 0;
  }
  if (hooks.length === 0) {
    process.stdout.write(o.eligible ? "no eligible hooks\n" : "no hooks (see 'cairn hooks --help' for where they are found)\n");
    return 0;
  }
  const rows = hooks.map((h) => [
    h.name,
    h.source,
    h.eligible ? "yes" : "no",
    String(h.priority),
    h.events.join(","),
    h.eligible ? h.description : h.reasons.join("; "),
  ]);
  process.stdout.write(`${table([["NAME", "SOURCE", "ELIGIBLE", "PRIORITY", "EVENTS", "DESCRIPTION / WHY NOT"], ...rows])}\n`);
  return 0;
};

const find = (paths: Paths, env: NodeJS.ProcessEnv, name: string): HookDef => {
  const hooks = discovered(paths, env);
  const h = hooks.find((x) => x.name === name);
  if (!h)
    throw new CairnError(
      "hook_not_found",
      `no hook named '${name}'${hooks.length ? ` (hooks: ${hooks.map((x) => x.name).join(", ")})` : ""}`,
    );
  return h;
};

/** `cairn hooks info NAME [--json]`. */
export const hooksInfo = (o: { name: string; json: boolean }, paths: Paths, env: NodeJS.ProcessEnv = process.env): number => {
  const h = find(paths, env, o.name);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...view(h), env: Object.keys(h.env), body: h.body })}\n`);
    return 0;
  }
  const lines = [
    `${h.name}${h.description ? ` — ${h.description}` : ""}`,
    `  source    ${h.source} (${h.path})`,
    `  command   ${h.command}  (in ${h.dir})`,
    `  events    ${h.events.map((e) => `${e}${isModifying(e) ? " (may modify/block)" : ""}`).join(", ")}`,
    `  priority  ${h.priority}   timeout ${h.timeoutMs / 1000} s`,
    `  eligible  ${h.eligible ? "yes" : `no: ${h.reasons.join("; ")}`}`,
    ...(Object.keys(h.env).length ? [`  env       ${Object.keys(h.env).join(", ")}`] : []),
    ...(h.body ? ["", h.body] : []),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
};

/**
 * `cairn hooks test NAME --event E [--json]`: runs the hook once on the event's sample payload (even
 * when disabled or ineligible: that is what testing is for) and shows its decision. Exit code 0
 * whatever it decided; 1 when it failed (exit code, timeout, garbage on stdout).
 */
export const hooksTest = async (
  o: { name: string; event: string | undefined; json: boolean },
  paths: Paths,
  env: NodeJS.ProcessEnv = process.env,
) => {
  const h = find(paths, env, o.name);
  const event = (o.event ?? h.events[0]) as EventName | undefined;
  if (!event || !Schema.is(HookEventName)(event)) throw new UsageError(`--event takes one of: ${HookEventName.literals.join(", ")}`);
  const payload = hookPayload(event, samplePayloadData(event), "sample", Date.now());
  const t0 = performance.now();
  const outcome = await new HookDispatcher([], { now: Date.now, report: () => {} }).test(h, payload);
  const ms = Math.round(performance.now() - t0);
  if (o.json) process.stdout.write(`${JSON.stringify({ hook: h.name, event, payload, outcome, durationMs: ms })}\n`);
  else {
    const said =
      outcome.kind === "continue"
        ? "continue"
        : outcome.kind === "block"
          ? `block: ${outcome.reason}${isModifying(event) ? "" : ` (ignored: ${event} cannot be blocked)`}`
          : outcome.kind === "modify"
            ? `modify${isModifying(event) ? "" : ` (ignored: ${event} cannot be modified)`}: ${JSON.stringify(outcome.data)}`
            : `failed: ${outcome.error}`;
    process.stdout.write(`${h.name} on ${event} (sample payload) → ${said}  [${ms} ms]\n`);
    if (!h.events.includes(event))
      process.stdout.write(`note: ${h.name} does not subscribe to ${event}; the gateway would not run it for that event\n`);
  }
  return outcome.kind === "failed" ? 1 : 0;
};
