import { request, subjects } from "../../bus/index.ts";
import { CairnError, SETTING_KEYS, type SettingKey, type SettingsView } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { table } from "../output.ts";
import type { Paths } from "../paths.ts";
import { UsageError } from "../usage.ts";

/**
 * `cairn settings …`: what the Settings page changes, through the running gateway (each change is
 * a settings event; the next run uses it, no restart).
 */
async function ask<T>(paths: Paths, verb: string, params: unknown = {}): Promise<T> {
  const nc = await connectToGateway(paths);
  try {
    return (await request(nc, subjects.admin("settings", verb), params, { timeoutMs: 15_000 })) as T;
  } finally {
    await nc.close();
  }
}

const keyOf = (key: string): SettingKey => {
  if ((SETTING_KEYS as string[]).includes(key)) return key as SettingKey;
  throw new UsageError(`unknown setting '${key}'; one of: ${SETTING_KEYS.join(", ")}`);
};

/** A value as typed on the command line: numbers for the limits, a comma list for the allowlist. */
export const parseSettingValue = (key: SettingKey, raw: string): string | number | string[] => {
  if (key === "agent.max_iterations" || key === "agent.timeout") {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new UsageError(`${key} takes a whole number, got '${raw}'`);
    return n;
  }
  if (key === "tools.exec.allowlist") {
    const t = raw.trim();
    if (t.startsWith("[")) return JSON.parse(t) as string[];
    return t === ""
      ? []
      : t
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x);
  }
  return raw;
};

const shown = (v: unknown): string => (v === null ? "-" : Array.isArray(v) ? v.join(", ") || "(empty)" : String(v).replaceAll("\n", "⏎"));

const printView = (v: SettingsView, json: boolean): number => {
  if (json) {
    process.stdout.write(`${JSON.stringify(v)}\n`);
    return 0;
  }
  const rows = [["KEY", "VALUE", "SET HERE", "CAIRN.TOML"]];
  for (const s of v.settings)
    rows.push([s.key, shown(s.effective).slice(0, 60), shown(s.value).slice(0, 30), shown(s.configured).slice(0, 30)]);
  process.stdout.write(table(rows));
  process.stdout.write(`\nalways allowed: ${v.allowedCommands.length === 0 ? "none" : ""}\n`);
  for (const c of v.allowedCommands) process.stdout.write(`  ${c}\n`);
  process.stdout.write(`\nonly in ${v.configPath}${v.configFile ? "" : " (no such file: defaults)"}:\n`);
  process.stdout.write(table(v.fileOnly.map((r) => [`  ${r.key}`, r.value])));
  return 0;
};

export async function settingsList(o: { json: boolean }, paths: Paths): Promise<number> {
  return printView(await ask<SettingsView>(paths, "get"), o.json);
}

export async function settingsGet(o: { key: string; json: boolean }, paths: Paths): Promise<number> {
  const key = keyOf(o.key);
  const row = (await ask<SettingsView>(paths, "get")).settings.find((s) => s.key === key);
  if (!row) throw new CairnError("not_found", `the gateway does not know ${key} (an older version?)`);
  process.stdout.write(
    o.json ? `${JSON.stringify(row)}\n` : `${Array.isArray(row.effective) ? row.effective.join("\n") : (row.effective ?? "")}\n`,
  );
  return 0;
}

export async function settingsSet(o: { key: string; value: string | null; json: boolean }, paths: Paths): Promise<number> {
  const key = keyOf(o.key);
  const value = o.value === null ? null : parseSettingValue(key, o.value);
  const r = await ask<{ changed: boolean; settings: SettingsView }>(paths, "set", { key, value });
  if (o.json) process.stdout.write(`${JSON.stringify({ key, value, changed: r.changed })}\n`);
  else
    process.stdout.write(
      r.changed ? `${key} ${value === null ? "now follows cairn.toml" : "set"}; the next run uses it\n` : `${key} unchanged\n`,
    );
  return 0;
}

export async function settingsRevoke(o: { command: string; json: boolean }, paths: Paths): Promise<number> {
  const r = await ask<{ revoked: boolean }>(paths, "revoke_command", { command: o.command });
  if (o.json) process.stdout.write(`${JSON.stringify({ command: o.command, revoked: r.revoked })}\n`);
  else process.stdout.write(r.revoked ? `revoked: '${o.command}' asks again\n` : `'${o.command}' was not always allowed\n`);
  return r.revoked ? 0 : 1;
}
