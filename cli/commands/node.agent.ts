// Over 300 lines: six node-side subcommands sharing one set of path, identity and creds helpers;
// `add` (pairing) is the first candidate to move to its own file when this grows.
/**
 * `cairn node add | run | status | fingerprint | logs | remove`: the commands run on the node's
 * own machine. (The gateway-side `cairn node ...` commands are in `node.admin.ts`.)
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { startTracing } from "../../bus/index.ts";
import { formatCreds, writeFileAtomic } from "../../bus/server/index.ts";
import { CairnError } from "../../schemas/index.ts";
import {
  createNodeLogger,
  fetchPinnedCertificate,
  installService,
  loadIdentity,
  loadOrCreateIdentity,
  natsUrlFor,
  newNodeId,
  nodePaths,
  normalizeGatewayUrl,
  pairingAdvice,
  pollPairingStatus,
  processAlive,
  readAgentStatus,
  readNodeConfig,
  removeFile,
  removeService,
  sendPairingRequest,
  serviceState,
  startNodeAgent,
  writeNodeConfig,
  type NodeConfig,
  type NodePaths,
  type ServiceEnv,
} from "../node/index.ts";
import type { Paths } from "../paths.ts";
import { ROOT } from "../root.ts";
import { VERSION } from "../version.ts";

export interface NodeAddOptions {
  readonly host?: string | undefined;
  readonly name?: string | undefined;
  readonly workingDir?: string | undefined;
  readonly timeout?: number | undefined;
  readonly nodeId?: string | undefined;
  readonly foreground: boolean;
  readonly json: boolean;
}

const out = (json: boolean, human: string, data: Record<string, unknown>): void => {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
};

const serviceEnv = (env: NodeJS.ProcessEnv): ServiceEnv => ({ platform: process.platform, home: homedir(), env });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const isPaired = (np: NodePaths, config: NodeConfig | undefined): config is NodeConfig & { natsUrl: string } =>
  config !== undefined && config.natsUrl !== null && existsSync(np.credsFile);

/** Polls until the gateway decides; shows the elapsed time. Transient network errors keep it waiting. */
async function waitForApproval(opts: Parameters<typeof pollPairingStatus>[0], requestId: string, json: boolean) {
  const started = Date.now();
  const tty = process.stdout.isTTY && !json;
  let lastLine = 0;
  for (let polls = 0; ; polls++) {
    // The gateway holds a poll open until the request is decided (a few seconds at most), so the
    // node learns of an approval at once; the pause only keeps an old or failing gateway from a tight loop.
    if (polls > 0) await sleep(250);
    let r: Awaited<ReturnType<typeof pollPairingStatus>>;
    try {
      r = await pollPairingStatus(opts, requestId);
    } catch (e) {
      if (e instanceof CairnError && (e.code === "unavailable" || e.code === "rate_limited" || e.code === "timeout")) {
        process.stderr.write(`${e.message}; still waiting\n`);
        continue;
      }
      throw e;
    }
    if (r.status === "approved" && r.jwt) {
      if (tty) process.stdout.write("\n");
      return { ...r, jwt: r.jwt };
    }
    if (r.status === "rejected")
      throw new CairnError("unauthorized", "the gateway rejected this pairing request; ask its owner, then run 'cairn node add' again");
    if (r.status === "revoked")
      throw new CairnError("node_revoked", "the gateway revoked this node while it waited; ask the gateway's owner, then pair again");
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (tty) process.stdout.write(`\rwaiting for approval… ${elapsed}s`);
    else if (!json && elapsed - lastLine >= 10) {
      lastLine = elapsed;
      process.stdout.write(`still waiting for approval (${elapsed}s)\n`);
    }
  }
}

export async function nodeAdd(opts: NodeAddOptions, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const host = opts.host ?? env.CAIRN_GATEWAY_URL;
  if (!host) throw new CairnError("bad_request", "say which gateway to join: --host <http url of the gateway> (or CAIRN_GATEWAY_URL)");
  const gatewayUrl = normalizeGatewayUrl(host);
  const np = nodePaths(paths.dataDir);
  const identity = loadOrCreateIdentity(np);
  const existing = readNodeConfig(np.configFile);
  const sameGateway = existing?.gatewayUrl === gatewayUrl && (opts.nodeId === undefined || opts.nodeId === existing.nodeId);
  if (sameGateway && isPaired(np, existing)) {
    out(opts.json, `already paired with ${gatewayUrl} as ${existing.nodeId} (${identity.fingerprint}); starting`, {
      event: "already_paired",
      nodeId: existing.nodeId,
      fingerprint: identity.fingerprint,
    });
    return opts.foreground ? runForeground(existing, np, env, opts.json) : startService(existing, np, paths, env, opts.json);
  }
  const workingDir = resolve(opts.workingDir ?? homedir());
  if (!existsSync(workingDir) || !statSync(workingDir).isDirectory())
    throw new CairnError("bad_request", `--working-dir ${workingDir} is not a directory`);
  const timeoutSeconds = opts.timeout ?? 300;
  const nodeId = opts.nodeId ?? existing?.nodeId ?? newNodeId();
  const name = (opts.name ?? existing?.name ?? hostname()).slice(0, 100);
  // Saved before asking, so the id survives an interrupted wait (running `add` again keeps it).
  const config: NodeConfig = { gatewayUrl, name, nodeId, workingDir, timeoutSeconds, natsUrl: null, pairedAt: null };
  writeNodeConfig(np.configFile, config);
  removeFile(np.credsFile);
  if (identity.created) out(opts.json, `generated this node's key: ${np.seedFile}`, { event: "key_created", seedFile: np.seedFile });
  out(opts.json, `node ${nodeId} (${name}), fingerprint ${identity.fingerprint}`, {
    event: "fingerprint",
    nodeId,
    name,
    fingerprint: identity.fingerprint,
    publicKey: identity.publicKey,
  });

  const client = { gatewayUrl, identity, nodeId, name, workingDir };
  let result: Awaited<ReturnType<typeof waitForApproval>>;
  let requestId: string;
  try {
    const req = await sendPairingRequest(client);
    requestId = req.requestId;
    out(opts.json, `pairing request ${req.requestId} sent to ${gatewayUrl}`, {
      event: "requested",
      requestId: req.requestId,
      status: req.status,
    });
    out(opts.json, "waiting for approval on the gateway (cairn node pending / the Nodes page)…", {
      event: "waiting",
      requestId: req.requestId,
    });
    result = await waitForApproval(client, req.requestId, opts.json);
  } catch (e) {
    if (e instanceof CairnError && (e.code === "unauthorized" || e.code === "node_revoked")) throw e;
    throw new CairnError(e instanceof CairnError ? e.code : "internal", pairingAdvice(e, nodeId));
  }
  const natsUrl = natsUrlFor(gatewayUrl, result);
  await writeFileAtomic(np.credsFile, formatCreds(result.jwt, identity.seed), 0o600);
  // The NATS certificate (when the gateway's NATS uses TLS) is pinned from here on.
  const tls = result.natsCaPem ? { natsCaPem: result.natsCaPem } : {};
  const paired: NodeConfig = { ...config, natsUrl, pairedAt: Date.now(), requestId, ...tls };
  writeNodeConfig(np.configFile, paired);
  const pin = result.natsCertFingerprint ? ` over TLS (certificate SHA-256 ${result.natsCertFingerprint})` : "";
  out(opts.json, `approved: credentials in ${np.credsFile}, bus at ${natsUrl}${pin}`, {
    event: "approved",
    nodeId,
    natsUrl,
    credsFile: np.credsFile,
    natsCertFingerprint: result.natsCertFingerprint ?? null,
  });
  return opts.foreground ? runForeground(paired, np, env, opts.json) : startService(paired, np, paths, env, opts.json);
}

function startService(config: NodeConfig, np: NodePaths, paths: Paths, env: NodeJS.ProcessEnv, json: boolean): number {
  const r = installService(
    {
      nodeBinary: process.execPath,
      cliEntry: join(ROOT, "cli", "bin.mjs"),
      dataDir: paths.dataDir,
      workingDir: config.workingDir,
      path: env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      logFile: np.logFile,
    },
    serviceEnv(env),
  );
  if (r.managed)
    out(json, `service installed and started (${r.file}); logs: ${np.logFile}`, { event: "service", file: r.file, managed: true });
  else {
    const how = r.manualCommands.length ? `; start it with:\n  ${r.manualCommands.join("\n  ")}` : "";
    out(json, `service file written: ${r.file ?? "(none on this platform)"} (${r.detail})${how}\nor run the agent here: cairn node run`, {
      event: "service",
      file: r.file ?? null,
      managed: false,
      detail: r.detail,
      manualCommands: r.manualCommands,
    });
  }
  return 0;
}

/** Runs the agent in this process until SIGINT/SIGTERM. */
async function runForeground(config: NodeConfig, np: NodePaths, env: NodeJS.ProcessEnv, json: boolean): Promise<number> {
  if (config.natsUrl === null || !existsSync(np.credsFile)) {
    throw new CairnError("bad_request", `this node is not paired yet (${np.configFile}); run 'cairn node add --host <gateway url>' first`);
  }
  const log = createNodeLogger({
    file: np.logFile,
    console: json ? (line) => process.stderr.write(`${line}\n`) : (line) => process.stdout.write(`${line}\n`),
  });
  // `CAIRN_OTLP_ENDPOINT` (the collector the gateway exports to): the node's own spans — one per
  // command, in the gateway's trace — go there too. Unset: the API's no-ops.
  const endpoint = env.CAIRN_OTLP_ENDPOINT;
  const tracing = endpoint
    ? startTracing({ endpoint, serviceName: "cairn-node", serviceVersion: VERSION, instanceId: config.nodeId, scheduledDelayMillis: 1000 })
    : null;
  if (endpoint) log.info("traces are exported", { endpoint });
  const agent = startNodeAgent({
    nodeId: config.nodeId,
    name: config.name,
    workingDir: config.workingDir,
    maxTimeoutSeconds: config.timeoutSeconds,
    natsUrl: config.natsUrl,
    credsFile: np.credsFile,
    natsCaPem: () => readNodeConfig(np.configFile)?.natsCaPem,
    refreshTls: async () => log.info("pinned the gateway's NATS certificate", { sha256: await fetchPinnedCertificate(np) }),
    outputDir: np.outputDir,
    statusFile: np.statusFile,
    log,
    env,
  });
  const onSignal = (): void => void agent.stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  await agent.done;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  // The last commands' spans are sent before the process goes.
  await tracing?.shutdown().catch((e) => log.warn("could not send the last traces", { error: (e as Error).message }));
  return 0;
}

export async function nodeRun(opts: { json: boolean }, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const np = nodePaths(paths.dataDir);
  const config = readNodeConfig(np.configFile);
  if (!config) throw new CairnError("bad_request", `no node settings at ${np.configFile}; run 'cairn node add --host <gateway url>' first`);
  return runForeground(config, np, env, opts.json);
}

export function nodeFingerprint(opts: { json: boolean }, paths: Paths): number {
  const id = loadOrCreateIdentity(nodePaths(paths.dataDir));
  out(opts.json, id.fingerprint, { fingerprint: id.fingerprint, publicKey: id.publicKey });
  return 0;
}

export function nodeLogs(opts: { json: boolean }, paths: Paths): number {
  const file = nodePaths(paths.dataDir).logFile;
  out(opts.json, file, { logFile: file });
  return 0;
}

export function nodeStatus(opts: { json: boolean }, paths: Paths, env: NodeJS.ProcessEnv): number {
  const np = nodePaths(paths.dataDir);
  const config = readNodeConfig(np.configFile);
  const identity = loadIdentity(np);
  const service = serviceState(serviceEnv(env));
  const agent = readAgentStatus(np.statusFile);
  const alive = agent !== undefined && processAlive(agent.pid);
  const data = {
    paired: isPaired(np, config),
    gatewayUrl: config?.gatewayUrl ?? null,
    name: config?.name ?? null,
    nodeId: config?.nodeId ?? null,
    workingDir: config?.workingDir ?? null,
    timeoutSeconds: config?.timeoutSeconds ?? null,
    natsUrl: config?.natsUrl ?? null,
    fingerprint: identity?.fingerprint ?? null,
    service: { file: service.file ?? null, installed: service.installed, running: service.running },
    agent: alive ? { pid: agent.pid, connected: agent.connected, since: agent.since, lastError: agent.lastError } : null,
    logFile: np.logFile,
  };
  if (opts.json) {
    out(true, "", data);
    return 0;
  }
  if (!config) {
    out(
      false,
      `not a node: no settings at ${np.configFile} (run 'cairn node add --host <gateway url>')${identity ? `\nfingerprint: ${identity.fingerprint}` : ""}`,
      {},
    );
    return 0;
  }
  const connected = !alive
    ? "no agent running"
    : agent.connected
      ? `connected since ${new Date(agent.since).toISOString()}`
      : `not connected${agent.lastError ? ` (${agent.lastError})` : ""}`;
  const svc = !service.installed
    ? "not installed"
    : service.running === null
      ? `installed (${service.file}); state unknown here`
      : service.running
        ? `running (${service.file})`
        : `installed, not running (${service.file})`;
  const lines = [
    `gateway:     ${config.gatewayUrl}`,
    `name:        ${config.name}`,
    `node id:     ${config.nodeId}`,
    `fingerprint: ${identity?.fingerprint ?? "(no key)"}`,
    `paired:      ${data.paired ? `yes, bus at ${config.natsUrl}` : "no (waiting for approval, or interrupted: run 'cairn node add' again)"}`,
    `working dir: ${config.workingDir} (timeout ${config.timeoutSeconds}s)`,
    `service:     ${svc}`,
    `agent:       ${connected}`,
    `log:         ${np.logFile}`,
  ];
  out(false, lines.join("\n"), {});
  return 0;
}

export function nodeRemove(opts: { forgetKey: boolean; json: boolean }, paths: Paths, env: NodeJS.ProcessEnv): number {
  const np = nodePaths(paths.dataDir);
  const service = removeService(serviceEnv(env));
  // An agent started by hand (`cairn node run`, `--foreground`) is ours to stop too: its pid is in
  // the status file it writes.
  const agent = readAgentStatus(np.statusFile);
  let stopped: number | null = null;
  if (agent && agent.pid !== process.pid && processAlive(agent.pid)) {
    try {
      process.kill(agent.pid, "SIGTERM");
      stopped = agent.pid;
    } catch {}
  }
  const removed = [np.configFile, np.credsFile, np.statusFile].filter(removeFile);
  if (opts.forgetKey) {
    if (removeFile(np.seedFile)) removed.push(np.seedFile);
    rmSync(np.outputDir, { recursive: true, force: true });
  }
  out(
    opts.json,
    [
      `service: ${service.detail}${service.file ? ` (${service.file})` : ""}`,
      ...(service.manualCommands.length ? [`to stop a service still running: ${service.manualCommands.join(" && ")}`] : []),
      ...(stopped !== null ? [`stopped the running agent (pid ${stopped})`] : []),
      removed.length ? `removed: ${removed.join(", ")}` : "nothing to remove",
      opts.forgetKey
        ? "the node key is gone: pairing again shows a new fingerprint"
        : `kept the node key (${np.seedFile}); --forget-key deletes it`,
    ].join("\n"),
    {
      service: { file: service.file ?? null, managed: service.managed, detail: service.detail },
      stoppedPid: stopped,
      removed,
      keptKey: !opts.forgetKey,
    },
  );
  return 0;
}
