import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createSandbox, detectSandboxBackends, reapSandboxContainers, reapStaleCgroups } from "../../actors/sandbox/index.ts";
import type { ExecOptions } from "../../actors/index.ts";
import { CairnError, type SandboxStatus } from "../../schemas/index.ts";

/**
 * Resolves `[tools.exec.sandbox] backend` once at startup: `auto` becomes the strongest backend
 * that really works here (docker with a local image > bubblewrap > none). A backend named
 * explicitly but unusable stops the start — falling back silently to less isolation would be a
 * security downgrade the user did not choose. Leftover containers of a crashed gateway go first.
 */
export async function setupSandbox(
  exec: ExecOptions | null,
  workspaceRoot: string,
  log: (line: string) => void,
): Promise<{ exec: ExecOptions | null; status: SandboxStatus | null }> {
  if (!exec) return { exec: null, status: null };
  const settings = exec.sandboxSettings ?? {};
  const found = await detectSandboxBackends({ ...(settings.image ? { image: settings.image } : {}) });
  const configured = exec.sandbox ?? "auto";
  const backend = configured === "auto" ? found.strongest : configured;
  if (!found.available.includes(backend)) {
    throw new CairnError(
      "unavailable",
      `[tools.exec.sandbox] backend = "${configured}" cannot run here: ${found.reasons[backend] ?? "not available"}. Use backend = "auto" or fix the cause.`,
    );
  }
  // Which backend and why the stronger ones were passed over: in a container without the Docker
  // socket (compose without infra/compose/docker-sandbox.yml) this is the line that says so.
  const passedOver = found.available.includes("docker") || backend === "docker" ? [] : [`docker: ${found.reasons.docker}`];
  if (backend === "none" && configured === "auto") passedOver.push(found.reasons.bubblewrap ?? "bubblewrap: not available");
  log(`sandbox: chose ${backend}${configured === "auto" ? " [auto]" : ""}${passedOver.length > 0 ? ` (${passedOver.join("; ")})` : ""}`);
  // This gateway's containers carry its data dir's hash: another gateway on the same engine keeps its own.
  const instance = createHash("sha256").update(workspaceRoot).digest("hex").slice(0, 12);
  if (found.available.includes("docker")) {
    const removed = await reapSandboxContainers({ instance }).catch(() => []);
    if (removed.length > 0) log(`removed ${removed.length} sandbox container(s) left by an earlier gateway`);
  }
  // Command cgroups of a gateway killed -9 (its commands too, which a `none` backend leaves running).
  const staleGroups = await reapStaleCgroups().catch(() => []);
  if (staleGroups.length > 0) log(`removed ${staleGroups.length} command cgroup(s) left by an earlier gateway`);
  // Private like the rest of the data dir (each session folder inside is the sandbox's to arrange).
  mkdirSync(workspaceRoot, { recursive: true, mode: 0o700 });
  // A sandbox on the workspace root only to describe what the backend enforces; nothing runs in it.
  const described = createSandbox({ ...settings, backend, workspace: workspaceRoot, outputDir: workspaceRoot } as Parameters<
    typeof createSandbox
  >[0]).describe();
  return {
    exec: { ...exec, sandbox: backend, autoBackend: found.strongest, sandboxSettings: { ...settings, instance } },
    status: {
      backend,
      configured,
      available: found.available,
      summary: described.summary,
      warning: described.warning ?? null,
      approvalMode: exec.approvalMode ?? "smart",
    },
  };
}
