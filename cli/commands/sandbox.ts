import { buildSandboxImage, detectSandboxBackends } from "../../actors/sandbox/index.ts";
import { loadSettings } from "../config/index.ts";
import type { Paths } from "../paths.ts";

/**
 * `cairn sandbox status`: which backends work on this machine and what `auto` picks, read
 * directly (no gateway needed) — the same detection the gateway runs at startup.
 */
export async function sandboxStatus(o: { json: boolean }, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = loadSettings(paths.configFile, env);
  const image = settings.exec?.sandboxSettings?.image;
  const found = await detectSandboxBackends({ ...(image ? { image } : {}), env });
  const configured = settings.exec ? (settings.exec.sandbox ?? "auto") : null;
  const active = configured === null ? null : configured === "auto" ? found.strongest : configured;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ configured, active, usable: active === null || found.available.includes(active), ...found })}\n`,
    );
  } else {
    const lines = [
      configured === null
        ? "exec is off ([tools.exec] enabled = false)"
        : `configured: ${configured}${configured === "auto" ? ` → ${active}` : ""}`,
      ...(["docker", "bubblewrap", "none"] as const).map(
        (b) => `  ${found.available.includes(b) ? "✓" : "✗"} ${b.padEnd(10)} ${found.reasons[b] ?? ""}`,
      ),
    ];
    if (active === "none") lines.push("WARNING: commands would run on this machine without any isolation.");
    if (active !== null && !found.available.includes(active))
      lines.push(`the gateway will refuse to start: backend "${active}" cannot run here`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  return active !== null && !found.available.includes(active) ? 1 : 0;
}

/** `cairn sandbox build-image`: the docker sandbox image, built locally from busybox-static (never pulled). */
export async function sandboxBuildImage(o: { json: boolean; tag?: string }, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const tag = o.tag ?? loadSettings(paths.configFile, env).exec?.sandboxSettings?.image;
  if (!o.json) process.stderr.write(`building ${tag ?? "the default image"} from busybox-static…\n`);
  const id = await buildSandboxImage(tag ? { tag } : {});
  process.stdout.write(
    o.json
      ? `${JSON.stringify({ ok: true, image: tag ?? "cairn-sandbox:latest", id })}\n`
      : `built ${tag ?? "cairn-sandbox:latest"} (${id})\n`,
  );
  return 0;
}
