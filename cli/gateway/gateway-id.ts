import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

/**
 * The gateway's id on the bus, kept in its data dir: a gateway restarted after a crash is the same
 * gateway, so it re-owns its partitions at once instead of waiting for its old lease to lapse.
 * (One gateway per data dir is enforced by the lock.)
 */
export function gatewayIdFor(file: string): string {
  const existing = gatewayIdOf(file);
  if (existing) return existing;
  const id = `gw-${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}

/** The id a gateway on this data dir uses, or undefined when none has started here yet. */
export function gatewayIdOf(file: string): string | undefined {
  try {
    const id = readFileSync(file, "utf8").trim();
    return /^[A-Za-z0-9_-]{4,64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
