import { join } from "node:path";
import { Ownership, startActorSystem, type ActorSystem } from "../../actors/index.ts";
import { serveProviderServices } from "../../actors/llm/index.ts";
import { startNodeServices } from "../../actors/node/index.ts";
import { serveWorkspaceFiles } from "../../actors/workspace/index.ts";
import { McpHub, serveMcp } from "../../actors/mcp/index.ts";
import { serveHooks } from "../../actors/hooks/index.ts";
import { startPush } from "../../actors/push/index.ts";
import { exportSessions, memoryTools, serveMemory, setupMemory } from "../../actors/memory/index.ts";
import {
  AttachmentStore,
  attachmentsDir,
  EventLog,
  PartitionTable,
  SnapshotStore,
  createRacing,
  ensureStreams,
  readCapabilities,
  subjects,
  type ArchivePolicy,
} from "../../bus/index.ts";
import { localCaPaths, startEdge, type Edge, type TransportName } from "../../bus/edge/index.ts";
import { cronQueries, Projector, queries } from "../../projections/index.ts";
import type { SandboxStatus } from "../../schemas/index.ts";
import type { Settings } from "../config/index.ts";
import type { Paths } from "../paths.ts";
import { gatewayHooks } from "./hooks.setup.ts";
import { startSettingsService } from "./settings.setup.ts";
import { securePrivateDirs } from "../private.dirs.ts";
import { ROOT } from "../root.ts";
import { VERSION } from "../version.ts";
import { gatewayIdFor } from "./gateway-id.ts";
import { startGatewayNats } from "./nats.setup.ts";
import { recoverWork } from "./recover.setup.ts";
import { serveReadModels } from "./queries.setup.ts";
import { acquireGatewayLock } from "./lock.ts";
import { removeRuntimeFile, writeRuntimeFile } from "./runtime-file.ts";
import { serveGatewayServices } from "./services.ts";
import { archiveAndRecord, startLogRetention } from "./log.retention.ts";
import { providerModelSetup, warmDefaultModel } from "./providers.setup.ts";
import { setupSandbox } from "./sandbox.setup.ts";
import { serveNodesDoctor } from "./nodes.doctor.ts";
import { prepareEdgeTls, startTlsRuntime } from "./tls.setup.ts";
import { serveMetrics, startTelemetry } from "./telemetry.setup.ts";
import { startChannels } from "./channels.setup.ts";
import { natsNodesReader, trackNodePresence } from "../../actors/remote/index.ts";

/** Backlog applied before the gateway serves: about 0.2 s of rebuild work. */
const CATCH_UP_BEFORE_SERVING = 10_000;

export const UI_DIR = join(ROOT, "ui", "dist");

export interface Gateway {
  readonly url: string;
  /** Which library serves the edge: uWebSockets.js where a native build loads, else node:http + ws. */
  readonly transport: TransportName;
  readonly natsUrl: string;
  readonly natsVersion: string;
  /** The embedded server requires TLS (it listens off loopback). */
  readonly natsTls: boolean;
  readonly recovered: number;
  /** The exec tool's sandbox (null: exec is off). */
  readonly sandbox: SandboxStatus | null;
  /** The edge serves HTTPS: whose certificate, and where to get the local CA (null: TLS off). */
  readonly tls: {
    readonly source: "local-ca" | "provided";
    readonly caPageUrl: string | null;
    readonly caFingerprint: string | null;
    readonly redirectUrl: string | null;
  } | null;
  stop(): Promise<void>;
}

/**
 * Assembles one gateway process: NATS (embedded or external), the event log, the projector, the
 * actor system and the HTTP/WS edge, in the order that keeps the invariants — read models caught
 * up before recovery, recovery before the edge takes traffic.
 */
export async function startGateway(o: {
  settings: Settings;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<Gateway> {
  const { settings, paths, env, log } = o;
  // Every chat, key and creds file lives under these: 0700/0600, an older install tightened (once).
  securePrivateDirs(paths, log);
  const releaseLock = acquireGatewayLock(paths.lockFile);
  const cleanup: Array<() => Promise<unknown> | unknown> = [releaseLock];
  const unwind = async () => {
    for (const fn of cleanup.reverse())
      await Promise.resolve()
        .then(fn)
        .catch(() => {});
    cleanup.length = 0;
  };
  try {
    const { embedded, natsUrl, cliCreds, natsTls, nc } = await startGatewayNats({ settings, paths, env, log, cleanup });
    const caps = readCapabilities(nc);
    // One registry per gateway process; every part records into it (null: `[telemetry] metrics = false`).
    const telemetry = startTelemetry(settings, nc, log);
    cleanup.push(() => telemetry.stop());
    const metrics = telemetry.metrics ?? undefined;
    // Idempotent; retried as a whole when JetStream is slow to answer (gateways starting together
    // on a fresh cluster race to create the same streams and buckets).
    const { eventLog, snapshots, table } = await createRacing(async () => {
      await ensureStreams(nc);
      return {
        eventLog: await EventLog.open(nc, { metrics }),
        snapshots: await SnapshotStore.open(nc),
        table: await PartitionTable.open(nc),
      };
    });
    // Which partitions of the aggregates this gateway writes. With the embedded server it is the
    // only gateway there can be, so it claims them all at once; on a shared NATS it takes its share.
    const ownership = new Ownership({
      nc,
      table,
      gatewayId: gatewayIdFor(paths.gatewayIdFile),
      solo: embedded !== undefined,
      report: log,
    });
    await ownership.start();
    cleanup.push(() => ownership.stop());
    const metricsSub = serveMetrics(nc, ownership.id, metrics);
    cleanup.push(() => metricsSub.unsubscribe());

    const projector = Projector.open(paths.projectionsDb, {
      log: eventLog,
      nc,
      report: log,
      metricsRetentionDays: settings.telemetry.historyDays,
      ...(metrics ? { metrics } : {}),
    });
    cleanup.push(() => projector.db.close());
    // A small backlog is applied before serving, so the first answers are current. A big one (a
    // restored log, a deleted read-model file) would keep the gateway silent for a minute: it
    // serves at once and the read models catch up behind it ("catching up: N events").
    const logEnd = await eventLog.lastSeq();
    const backlog = logEnd - projector.checkpoint;
    const catchUpFirst = backlog <= CATCH_UP_BEFORE_SERVING;
    if (catchUpFirst) await projector.catchUp(logEnd);
    else log(`read models are ${backlog} events behind the log: serving now, catching up in the background`);
    projector.start();
    cleanup.push(() => projector.stop());
    const q = queries(() => projector.db);

    // Who is connected right now (hello/heartbeat/telemetry/context): memory only, never events.
    const presence = trackNodePresence(nc);
    cleanup.push(() => presence.stop());
    metrics?.gauge("cairn_nodes_connected", "Nodes heard from recently (hello or heartbeat).", () =>
      presence.known().reduce((n, id) => n + (presence.isOnline(id) ? 1 : 0), 0),
    );
    // Nodes: pairing, approval, revocation (the single writer of node and pairing-window events).
    const nodeServices = await startNodeServices({
      nc,
      natsUrl,
      log: eventLog,
      snapshots,
      auth: embedded?.auth ?? null,
      tls: embedded?.tls ?? null,
      natsPort: embedded ? Number(new URL(embedded.url).port) : null,
      advertiseUrl: settings.nodes.advertiseUrl,
      pairingMinutes: settings.nodes.pairingMinutes,
      presence,
      report: log,
    });
    cleanup.push(() => nodeServices.stop());

    const configuredModel = providerModelSetup(settings, paths, env);
    // Status and the model list name the default model in effect: one set in Settings wins over
    // cairn.toml's (the actor system follows the settings; until it runs, the file's applies).
    let defaultModelNow = () => configuredModel.defaultModel;
    const model = Object.defineProperty({ ...configuredModel }, "defaultModel", { get: () => defaultModelNow(), enumerable: true });
    warmDefaultModel(model);
    const workspaceRoot = paths.workspacesDir;
    const sandbox = await setupSandbox(settings.exec, workspaceRoot, log);
    // Archiving the log's oldest events: asked for (`cairn log archive`) or by `[log]` retention.
    const archiveLog = (policy: ArchivePolicy, by: string) =>
      archiveAndRecord({
        nc,
        dir: join(paths.dataDir, "archive"),
        policy,
        by,
        gatewayId: ownership.id,
        record: async (data) => {
          if (!actors) throw new Error("the actors are not running yet");
          return actors.dispatch("settings", "global", "record_archive", data);
        },
      });
    const retention = settings.log.retention;
    if (retention)
      cleanup.push(
        startLogRetention({
          archive: () => archiveLog(retention, "retention"),
          everyMs: retention.checkMs,
          // One archiver for the cluster: the owner of partition 0 (solo: this gateway).
          isOwner: () => ownership.owns(0),
          report: log,
        }),
      );
    const cronQ = cronQueries(() => projector.db);
    const subs = [
      ...serveReadModels({ nc, projector, q, cronQ, eventLog, presence, settings }),
      ...serveGatewayServices({
        nc,
        archive: (policy) => archiveLog(policy, "cli"),
        log: eventLog,
        projector,
        projectionsDb: paths.projectionsDb,
        version: VERSION,
        natsVersion: caps.serverVersion,
        model,
        sandbox: sandbox.status,
        gatewayId: ownership.id,
        cluster: async () => {
          const view = actors?.ownership();
          if (!view) return null;
          return {
            ...view,
            servers: { connected: nc.getServer(), known: nc.info?.connect_urls ?? [], cluster: nc.info?.cluster ?? null },
            logReplicas: await eventLog.replicas(),
          };
        },
      }),
      ...serveWorkspaceFiles(nc, workspaceRoot),
      serveNodesDoctor({ nc, sessions: (limit) => q.listSessions(limit), exec: sandbox.status }),
    ];
    cleanup.push(() => {
      for (const s of subs) s.unsubscribe();
    });

    // Memory files: indexed and watched in the background (a large first index never delays ready).
    const memory = setupMemory(settings.memory, { dataDir: paths.dataDir, env, report: log });
    if (memory) {
      void memory.manager.start().catch((e) => log(`memory: indexing failed: ${(e as Error).message}`));
      cleanup.push(() => memory.manager.stop());
      subs.push(...serveMemory(nc, () => memory.manager));
      if (memory.sessionExport) subs.push(exportSessions({ nc, memoryDir: memory.memoryDir, report: log }));
    } else subs.push(...serveMemory(nc, () => undefined));
    const memoryToolList = memory ? memoryTools(memory.manager, { citations: memory.citations, memoryDir: memory.memoryDir }) : undefined;

    // MCP servers start in the background once the actor system can read the settings: none delays ready.
    const mcp = new McpHub({ secrets: { env, key: (name) => model.keys.get(name) }, report: log });
    cleanup.push(() => mcp.stop());
    // Assigned below; the status service asks for it only once requests come in.
    let actors: ActorSystem | undefined;
    const hooks = gatewayHooks(settings, paths, log);
    // Users' attached files, by SHA-256 (the edge stores uploads, runs read them into prompts).
    const attachments = new AttachmentStore(attachmentsDir(paths.dataDir));
    // Web Push reads the devices from the settings aggregate, once the actor system is up.
    const push = startPush({
      nc,
      dataDir: paths.dataDir,
      ...(env.CAIRN_PUSH_CONTACT ? { contact: env.CAIRN_PUSH_CONTACT } : {}),
      devices: async () => (actors ? actors.pushDevices() : []),
      forget: async (device) => actors?.dispatch("settings", "global", "unsubscribe_push", { device, by: "push-service" }),
      report: log,
    });
    subs.push(...push.subs);
    cleanup.push(() => push.notifier.idle());
    actors = startActorSystem({
      nc,
      log: eventLog,
      snapshots,
      model: configuredModel,
      attachments,
      systemPrompt: settings.systemPrompt,
      maxTokens: settings.maxTokens,
      // Each session works in <workspaces dir>/<key> (default <data dir>/workspaces); skills in <data dir>/skills.
      agent: {
        workspaceRoot,
        skillsDir: paths.skillsDir,
        ...settings.agentLoop,
        ...(sandbox.exec ? { exec: sandbox.exec } : {}),
        ...(settings.webFetch ? { webFetch: settings.webFetch } : {}),
      },
      nodes: { presence, reader: natsNodesReader(nc) },
      ownership,
      activeSessions: async () => {
        // Read models first catch up with the log, so a session that just became active is seen.
        await projector.waitFor(await eventLog.lastSeq());
        return q.activeSessionKeys();
      },
      activeCronJobs: async (dueBefore) => {
        await projector.waitFor(await eventLog.lastSeq());
        return cronQ.due(dueBefore);
      },
      report: log,
      cron: { settings: settings.cron },
      ...(metrics ? { metrics } : {}),
      mcp,
      ...(memoryToolList ? { memoryTools: memoryToolList } : {}),
      hooks,
      observers: [push.notifier.observe],
    });
    const system = actors;
    defaultModelNow = () => system.defaultModel();
    cleanup.push(() => system.stop());
    const mcpService = serveMcp({
      nc,
      hub: mcp,
      configured: settings.mcpServers,
      added: () => system.mcpServers(),
      settings: (verb, params) => system.dispatch("settings", "global", verb, params),
      report: log,
    });
    subs.push(
      ...mcpService.subs,
      ...serveHooks(nc, hooks),
      ...startSettingsService({ nc, system, settings, paths, model: configuredModel }),
    );
    const channels = startChannels({ nc, settings, configDir: paths.configDir, env, system, log });
    subs.push(...channels.subs);
    cleanup.push(() => channels.stop());
    const enabled = {
      all: async () => new Set(Object.values(await system.enabledModels()).flat()),
      set: async (provider: string, models: readonly string[]) => (await system.enableModels(provider, models)).models,
    };
    subs.push(...serveProviderServices({ nc, model, enabled }));
    const recover = () => recoverWork({ projector, logEnd, system, q, cronQ, heartbeat: settings.heartbeat, log });
    const recovered = catchUpFirst ? await recover() : 0;
    if (!catchUpFirst)
      void recover().then(
        (n) => log(`read models caught up${n > 0 ? `; recovered ${n} interrupted run(s)` : ""}`),
        (e) => log(`recovering interrupted runs failed: ${(e as Error).message}`),
      );

    // Before anything listens: a wrong cert path is a start error, not a stream of failed handshakes.
    const edgeTls = await prepareEdgeTls(settings, paths.dataDir, log);
    const edge: Edge = await startEdge({
      nc,
      host: settings.host,
      port: settings.port,
      uiDir: UI_DIR,
      version: VERSION,
      authToken: settings.authToken,
      auth: { requireOnLoopback: settings.auth.requireOnLoopback, ...(settings.auth.rpId ? { rpId: settings.auth.rpId } : {}) },
      statusSubject: subjects.gatewayStatus(ownership.id),
      attachments,
      log,
      trustedProxies: settings.trustedProxies,
      ...(metrics ? { metrics } : {}),
      ...(edgeTls ? { tls: { certFile: edgeTls.certFile, keyFile: edgeTls.keyFile } } : {}),
    });
    cleanup.push(() => edge.close());
    const tlsRuntime = edgeTls
      ? await startTlsRuntime({ settings, tls: edgeTls, httpsPort: edge.port, dataDir: paths.dataDir, transport: edge.transport, log })
      : null;
    if (tlsRuntime) cleanup.push(() => tlsRuntime.stop());
    ownership.advertise(edge.url);
    writeRuntimeFile(paths.runtimeFile, {
      pid: process.pid,
      version: VERSION,
      natsUrl,
      cliCreds,
      ...(natsTls ? { natsCaFile: natsTls.caFile } : {}),
      httpUrl: edge.url,
      ...(edgeTls?.source === "local-ca" ? { httpCaFile: localCaPaths(paths.dataDir).caCertFile } : {}),
      startedAt: Date.now(),
    });
    cleanup.push(() => removeRuntimeFile(paths.runtimeFile));
    hooks.observe("GatewayStart", { version: VERSION, url: edge.url, workspace: workspaceRoot }, null);
    // Stopping runs the cleanups last-in first: GatewayStop's hooks run (and finish) before anything closes.
    cleanup.push(async () => {
      hooks.observe("GatewayStop", { reason: "stop" }, null);
      await hooks.idle();
    });

    // Behind ready: the memory index's vectors load a slice per macrotask (searches ask sqlite-vec meanwhile).
    if (memory) void memory.manager.loadVectors().catch((e) => log(`memory: loading the vectors failed: ${(e as Error).message}`));

    return {
      url: edge.url,
      transport: edge.transport,
      natsUrl,
      natsVersion: caps.serverVersion,
      natsTls: natsTls !== undefined,
      recovered,
      sandbox: sandbox.status,
      tls:
        edgeTls && tlsRuntime
          ? {
              source: edgeTls.source,
              caPageUrl: tlsRuntime.caPageUrl,
              caFingerprint: edgeTls.caFingerprint ?? null,
              redirectUrl: tlsRuntime.redirect?.url ?? null,
            }
          : null,
      stop: unwind,
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}
