import { dirname } from "node:path";
import { createLogWriter, levelOfLine } from "../../bus/index.ts";
import { startGateway } from "../gateway/gateway.ts";
import { loadSettings } from "../config/index.ts";
import { ensurePrivateDir } from "../private.dirs.ts";
import type { Paths } from "../paths.ts";
import { VERSION } from "../version.ts";

/** Runs the gateway in the foreground until SIGINT/SIGTERM. */
export async function runGateway(o: { host?: string; port?: number }, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const settings = loadSettings(paths.configFile, {
    ...env,
    ...(o.host !== undefined ? { CAIRN_HOST: o.host } : {}),
    ...(o.port !== undefined ? { CAIRN_PORT: String(o.port) } : {}),
  });
  // Private from the start (the gateway tightens the rest of an older install: securePrivateDirs).
  ensurePrivateDir(dirname(paths.logFile));
  // The server's chatter goes to the log file (JSON lines, rotated by size, secrets scrubbed:
  // `cairn logs` reads it); the terminal gets what a person needs.
  const file = createLogWriter({ file: paths.logFile, ...settings.log });
  const log = (line: string) => {
    file.write(levelOfLine(line), line);
    if (!line.startsWith("nats: ") || /restart|error|fail/i.test(line)) process.stderr.write(`${line}\n`);
  };
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({ settings, paths, env, log });
  } catch (e) {
    file.write("error", `the gateway did not start: ${(e as Error).message}`);
    await file.close();
    throw e;
  }
  log(`cairn ${VERSION} ready at ${gw.url}`);
  const ms = Math.round(performance.now() - started);
  const model = settings.model
    ? `${settings.model} (from ${settings.modelSource === "CAIRN_MODEL" ? "CAIRN_MODEL" : settings.configFile})`
    : "none — set CAIRN_MODEL and a provider key (see README)";
  process.stdout.write(
    [
      `cairn ${VERSION} ready in ${ms} ms`,
      `  web UI     ${gw.url} (${gw.transport === "uws" ? "uWebSockets.js" : "node:http + ws"}${gw.tls ? ", TLS" : ""})`,
      ...(gw.tls?.caPageUrl
        ? [`  trust CA   ${gw.tls.caPageUrl} (SHA-256 ${gw.tls.caFingerprint}: compare before trusting)`]
        : gw.tls?.redirectUrl
          ? [`  http       ${gw.tls.redirectUrl} redirects to HTTPS`]
          : []),
      `  nats       ${gw.natsUrl} (nats-server ${gw.natsVersion}${env.CAIRN_NATS_URL ? ", external" : ", embedded"})${gw.natsTls ? " (TLS)" : ""}`,
      `  data dir   ${paths.dataDir}`,
      `  config     ${settings.configFile ?? `${paths.configFile} (not present; defaults)`}`,
      `  model      ${model}`,
      `  sandbox    ${gw.sandbox ? `${gw.sandbox.summary.replace(/^sandbox: /, "")}${gw.sandbox.configured === "auto" ? " [auto]" : ""}` : "exec is off ([tools.exec] enabled = false)"}`,
      ...(gw.sandbox
        ? [`  approvals  ${gw.sandbox.approvalMode}${gw.sandbox.approvalMode === "never" ? " — WARNING: commands run without asking" : ""}`]
        : []),
      ...(gw.recovered > 0 ? [`  recovered  ${gw.recovered} interrupted run(s)`] : []),
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`\n${signal}: stopping…\n`);
      const force = setTimeout(() => {
        process.stderr.write("cairn: shutdown took too long; exiting\n");
        process.exit(1);
      }, 15_000);
      force.unref();
      gw.stop().finally(resolve);
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
  log("stopped");
  await file.close();
  process.stdout.write("stopped\n");
  return 0;
}
