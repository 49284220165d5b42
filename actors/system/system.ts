// The one place where the hosts, their effects, the agent's tools and the command routing are
// wired together; each piece lives in its own folder (recovery, reads and policies beside this file).
import { request, subjects } from "../../bus/index.ts";
import { CairnError, isCairnError, type AggregateKind, type AnyStoredEvent, type CronJobRow } from "../../schemas/index.ts";
import { ApprovalWaiters, approvalSpec, approvalView, type ApprovalView } from "../approval/index.ts";
import { AUTH_ID, authSpec, createAuthFlows, DEFAULT_SESSION_TTL_MS } from "../auth/index.ts";
import { channelSpec } from "../channels/index.ts";
import { DEFAULT_CRON_SETTINGS, createCronSpec, cronEffects, cronTool, runEnded, systemClock } from "../cron/index.ts";
import { hookObserver } from "../hooks/index.ts";
import { modelVision, resolveModel } from "../llm/index.ts";
import { nodeContextPrompt, remoteExec } from "../remote/index.ts";
import { SHUTDOWN, cancelRun, compactSession, loadCooldowns, runEffects, runSpec } from "../run/index.ts";
import { AggregateHost, routeCommands, soleOwner, withRetry, type CommandRouter, type Dispatch } from "../runtime/index.ts";
import { createSessionSpec, forkSession, forkSessionWith, sessionEffects, sessionTranscripts, setSessionNode } from "../session/index.ts";
import { SETTINGS_ID, settingsSpec } from "../settings/index.ts";
import { sessionStateStore, stateSpec } from "../state/index.ts";
import { agentTools } from "./agent.tools.ts";
import { contextWindows } from "./context.window.ts";
import { cronRunPolicy } from "./cron.run.policy.ts";
import { runOutcomeReader } from "./run.outcome.ts";
import { sessionNodeInfo } from "./session.node.info.ts";
import { settingsReads } from "./settings.reads.ts";
import type { ActorSystem, ActorSystemOptions, AppendObserver } from "./system.options.ts";
import { startRecovery } from "./system.recovery.ts";

/** One `appended` for the hosts from all observers; an observer that throws does not stop the others. */
const appendedOf = (observers: readonly AppendObserver[]): { appended?: AppendObserver } =>
  observers.length === 0
    ? {}
    : {
        appended: (kind, id, events, context) => {
          for (const observe of observers) {
            try {
              observe(kind, id, events, context);
            } catch {
              // Observers report their own failures; a fact is durable whatever they do.
            }
          }
        },
      };

const shortId = () => crypto.randomUUID().replaceAll("-", "").slice(0, 20);

/**
 * Assembles the session, run, settings, approval and state hosts, their effects, the agent's tools
 * and the NATS command services (`cmd.session.<key>.<verb>`, `cmd.run.<id>.<verb>`,
 * `cmd.settings.global.<verb>`, `cmd.approval.<id>.approve|deny`, `cmd.state.<key>.<verb>`).
 */
export function startActorSystem(o: ActorSystemOptions): ActorSystem {
  const report = o.report ?? (() => {});
  const ownership = o.ownership;
  // Bound late: the router needs the hosts, the hosts' fence needs the router's partitions.
  let router: CommandRouter | undefined;
  const partitionOfContext = (kind: AggregateKind, id: string, context: unknown, command?: unknown) => {
    const named = (context as { sessionKey?: string }).sessionKey || (command as { params?: { sessionKey?: string } })?.params?.sessionKey;
    return router?.partitionKnown(kind, id, named || router.sessionOf(kind, id)) ?? 0;
  };
  const deps = {
    log: o.log,
    snapshots: o.snapshots,
    now: o.now ?? Date.now,
    newId: o.newId ?? shortId,
    report,
    ...appendedOf([...(o.hooks ? [hookObserver(o.hooks)] : []), ...(o.observers ?? [])]),
    ...(ownership
      ? {
          fence: (kind: AggregateKind, id: string, context: unknown, command: unknown) => {
            const p = partitionOfContext(kind, id, context, command);
            return ownership.isWritable(p) ? undefined : ownership.writable(p);
          },
          owns: (kind: AggregateKind, id: string, context: unknown) => ownership.owns(partitionOfContext(kind, id, context)),
        }
      : {}),
  };
  const resolve = o.model.resolve ?? ((modelId: string) => resolveModel(modelId, o.model.env, o.model.config));
  const fallback = o.model.fallback ?? [];
  for (const m of fallback) {
    try {
      resolve(m);
    } catch (e) {
      report(`fallback model ${m} is not usable: ${(e as Error).message}`);
    }
  }
  // Cooldowns survive a restart: rebuilt from the run events at the log's tail before any model call.
  const { tracker: cooldowns, ready: cooldownsReady } = loadCooldowns(o.log, report);
  const settings = new AggregateHost(settingsSpec, deps);
  const settingsRead = settingsReads(async () => (await settings.read(SETTINGS_ID)).snapshot.context, o.model.defaultModel);
  const { read: readSettings, values: settingValues } = settingsRead;
  // The default model as last read from the settings (a command's check is synchronous; a run
  // reads the settings afresh when it starts).
  const checkModel = (sessionModel: string | null) => resolve(sessionModel ?? settingsRead.defaultModel() ?? "").modelId;

  const visionOf = o.model.vision ?? ((modelId: string) => modelVision(modelId, o.model.env, o.model.config));
  const sessions = new AggregateHost(createSessionSpec(checkModel, visionOf), deps);
  // The transcript is read from the log, not kept in the session's context (bounded snapshots).
  const runs = new AggregateHost(runSpec, deps);
  const transcripts = sessionTranscripts(o.log, {
    // A run that ended here is still in its host's cache: its reply needs no read of its log.
    knownReply: (runId) => {
      const run = runs.peek(runId)?.context;
      return run && run.status !== "new" && run.status !== "running" ? run.text : undefined;
    },
  });
  const approvals = new AggregateHost(approvalSpec, deps);
  const states = new AggregateHost(stateSpec, deps);
  const auth = new AggregateHost(authSpec, deps);
  const channels = new AggregateHost(channelSpec, deps);
  const cronClock = o.cron?.clock ?? systemClock;
  // The scheduler decides on its own clock: a slot is due when that clock says so.
  const crons = new AggregateHost(createCronSpec({ graceMs: o.cron?.graceMs }), { ...deps, now: () => cronClock.now() });
  // In drain order: a run's end is an effect that writes to its session (see stop).
  const hosts = {
    run: runs,
    session: sessions,
    approval: approvals,
    state: states,
    settings,
    auth,
    cron: crons,
    channel: channels,
  } as const;
  const authFlows = createAuthFlows({
    execute: (command) => auth.execute(AUTH_ID, command),
    read: async () => (await auth.read(AUTH_ID)).snapshot.context,
    sessionTtlMs: o.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    now: deps.now,
  });
  const waiters = new ApprovalWaiters();
  const readApproval = async (id: string): Promise<ApprovalView> => approvalView((await approvals.read(id)).snapshot.context);
  // Waking waiters cannot fail; a waiter that missed a wake-up still finds the decision at its deadline.
  approvals.setEffects({ decided: (p: { id: string }) => waiters.notify(p.id) }, async (f) => {
    throw f.error;
  });

  let stopping = false;
  // Decides a command in this process (the router sends here what this gateway owns).
  const handle: Dispatch = (kind, id, verb, params) => {
    if (kind === "session" && verb === "cancel") return cancel(id, params);
    // Reads the parent and creates another aggregate, so it is routed above any one host.
    if (kind === "session" && verb === "fork") return forkSession(sessions, transcripts, id, params, createFork);
    // `/compact`: an LLM call, then `session.compacted` (see compactSession).
    if (kind === "session" && verb === "compact") return compactNow(id, params);
    // Checks the node against the approved ones (an async read) before the session decides.
    if (kind === "session" && verb === "set_node") return setNode(id, params);
    // Logins and key ceremonies check a secret first (async), then record the outcome on the aggregate.
    if (kind === "auth" && id === AUTH_ID && authFlows.isFlow(verb)) return authFlows.run(verb, params);
    // Nodes and the pairing window have their own single writer (the gateway's node service).
    const host = (hosts as unknown as Partial<Record<string, AggregateHost<never, unknown>>>)[kind];
    if (!host) return Promise.reject(new CairnError("unknown_method", `the actor system does not own ${kind} aggregates`));
    return host.execute(id, host.spec.decodeCommand(verb, params));
  };
  // The fork is another session, maybe in a partition another gateway owns.
  function createFork(forkKey: string, plan: unknown) {
    if (!router) throw new CairnError("internal", "commands are not routed yet");
    return withRetry(router.dispatch)("session", forkKey, "create_fork", plan);
  }
  router = routeCommands({
    nc: o.nc,
    ownership: ownership ?? soleOwner,
    kinds: Object.keys(hosts) as (keyof typeof hosts)[],
    handle,
    lookupSession: async (kind, id) => {
      const first = (await o.log.load(kind, id)).records[0];
      const data = first?.ok ? (first.event.data as { sessionKey?: unknown }) : undefined;
      return typeof data?.sessionKey === "string" ? data.sessionKey : undefined;
    },
    stopping: () => stopping,
  });
  // Effects' commands; the effects of a gateway that is stopping still record how their work ended.
  const dispatch = withRetry(router.effectDispatch);

  const fork = forkSessionWith(sessions, transcripts, deps.newId, createFork);
  const sessionState = sessionStateStore(dispatch, async (key) => (await states.read(key)).snapshot.context);
  const nodeOf = async (key: string) => (await sessions.read(key)).snapshot.context.node;
  const remote = o.nodes ? remoteExec(o.nc, o.nodes.remote) : undefined;
  const sessionNode = sessionNodeInfo(nodeOf, o.nodes);
  // Node presence is not in the log: its hooks fire from this gateway's presence tracker.
  const hooks = o.hooks;
  const stopNodeHooks =
    hooks && o.nodes
      ? o.nodes.presence.onChange((id, change) => {
          if (change !== "online" && change !== "offline") return;
          const name = o.nodes?.presence.hello(id)?.name ?? id;
          hooks.observe(change === "online" ? "NodeConnected" : "NodeDisconnected", { node_id: id, name }, null);
        })
      : undefined;
  const setNode = (key: string, params: unknown) => setSessionNode(sessions, o.nodes?.reader, key, params);
  const cronConfig = o.cron?.settings ?? DEFAULT_CRON_SETTINGS;
  const tools = agentTools(o.agent, {
    ...(o.metrics ? { metrics: o.metrics } : {}),
    cron: cronTool({
      dispatch: withRetry(router.dispatch),
      list: async () => ((await request(o.nc, subjects.query("cron", "list"), {})) as { jobs: CronJobRow[] }).jobs,
      settings: cronConfig,
      // The same order a job's run follows (runPolicy, then callVerdict): `[cron]`, Settings, `[tools.exec]`.
      defaultApprovalMode: async () =>
        cronConfig.approvalMode ?? (await settingValues())["tools.exec.approval_mode"] ?? o.agent?.exec?.approvalMode ?? "smart",
    }),
    fork,
    sessionState,
    ...(o.mcp ? { mcp: o.mcp } : {}),
    ...(o.memoryTools ? { memory: o.memoryTools } : {}),
    ...(o.nodes && remote
      ? {
          nodes: {
            nodes: o.nodes.reader,
            presence: o.nodes.presence,
            remote,
            sessionNode: nodeOf,
            setSessionNode: (key: string, node: string | null) => setNode(key, { node }),
          },
        }
      : {}),
  });

  const session = sessionEffects({
    nc: o.nc,
    dispatch,
    defaultModel: async () => (await settingValues())["agent.model"] ?? o.model.defaultModel,
    adoptRun: async (runId) => {
      await runs.adopt(runId);
      return (await runs.read(runId)).snapshot.context;
    },
  });
  sessions.setEffects(session.effects, session.supervise);
  const contextWindow = contextWindows(o.model.env, o.model.config, deps.now);
  const compactedTranscript = (key: string) => transcripts.readCompacted(key);
  const compactNow = async (key: string, params: unknown) => {
    const s = (await sessions.read(key)).snapshot;
    return compactSession(
      { resolveModel: resolve, contextWindow, compactedTranscript, dispatch, maxTokens: o.maxTokens, metrics: o.metrics },
      {
        sessionKey: key,
        state: s.value as string,
        model: checkModel(s.context.model),
        compactionId: `${key}-${deps.newId()}`.slice(0, 120),
      },
      params,
    );
  };
  const attachmentStore = o.attachments;
  const run = runEffects({
    nc: o.nc,
    dispatch,
    resolveModel: resolve,
    transcript: (key) => transcripts.read(key),
    compactedTranscript,
    contextWindow,
    runEvents: async (runId) => (await o.log.load("run", runId)).records.flatMap((r): AnyStoredEvent[] => (r.ok ? [r.event] : [])),
    sessionSandbox: async (key) => (await sessions.read(key)).snapshot.context.sandbox,
    runPolicy: cronRunPolicy({
      // The run's own context names the message that started it (cached where the run lives).
      triggerOf: async (runId) => (runs.peek(runId) ?? (await runs.read(runId)).snapshot).context.triggerMessageId,
      job: async (name) => (await crons.read(name)).snapshot.context,
      defaults: cronConfig,
    }),
    sessionMcp: async (key) => (await sessions.read(key)).snapshot.context.mcp,
    sessionNode: async (key) => {
      const n = await sessionNode(key);
      return n ? { id: n.id, name: n.name, ...(n.status ? { status: n.status } : {}) } : null;
    },
    nodePrompt: async (key) => {
      const n = await sessionNode(key);
      return n
        ? nodeContextPrompt(
            { id: n.id, name: n.name, ...(n.workingDir ? { workingDir: n.workingDir } : {}) },
            o.nodes?.presence.context(n.id) ?? null,
          )
        : undefined;
    },
    ...(attachmentStore ? { readAttachment: (sha256: string) => attachmentStore.read(sha256) } : {}),
    vision: visionOf,
    systemPrompt: o.systemPrompt,
    settings: settingValues,
    maxTokens: o.maxTokens,
    fallback,
    cooldowns,
    cooldownsReady,
    now: deps.now,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.hooks ? { hooks: o.hooks } : {}),
    agent: { ...o.agent, tools },
    approvals: {
      waiters,
      read: readApproval,
      remembered: async () => (await readSettings()).allowedCommands,
    },
  });
  runs.setEffects(run.effects, run.supervise);
  const readRunOutcome = runOutcomeReader({
    run: async (runId) => (await runs.read(runId)).snapshot.context,
    session: async (key) => (await sessions.read(key)).snapshot.context,
    log: o.log,
    recover: (keys) => recovery.recover(keys),
  });
  // A job's session may live in another partition: its commands are forwarded, not refused as stale.
  const cron = cronEffects({
    clock: cronClock,
    dispatch: withRetry(router.dispatch),
    runEnded: (key, runId, signal) => runEnded(o.nc, readRunOutcome, key, runId, signal),
    cancelRun: (key, runId) => cancel(key, { runId, by: "cron" }),
    readopt: async (name) => {
      if (!stopping && (!ownership || ownership.owns(router.partitionKnown("cron", name, undefined)))) await crons.adopt(name);
    },
    report,
  });
  crons.setEffects(cron.effects, cron.supervise);

  function cancel(sessionKey: string, params: unknown) {
    return cancelRun(
      { activeRun: async (key) => (await sessions.read(key)).snapshot.context.activeRun?.runId ?? null, works: run.works, dispatch },
      sessionKey,
      params,
    );
  }

  const recovery = startRecovery({
    sessions,
    crons,
    hosts,
    router,
    ownership,
    cron,
    runWorks: run.works,
    cronClock,
    ...(o.activeSessions ? { activeSessions: o.activeSessions } : {}),
    ...(o.activeCronJobs ? { activeCronJobs: o.activeCronJobs } : {}),
    stopping: () => stopping,
    report,
  });
  const subs = router.subs;

  return {
    dispatch: withRetry(router.dispatch),
    // Through the router: the code must live on the gateway that owns the auth aggregate.
    setupCode: () =>
      withRetry(router.dispatch)("auth", AUTH_ID, "setup_code", { by: "gateway" }).then(
        (r) => r as { code: string; expiresAt: number },
        (e) => {
          if (isCairnError(e) && e.code === "setup_closed") return undefined;
          throw e;
        },
      ),
    enabledModels: async () => (await readSettings()).enabledModels,
    mcpServers: async () => (await readSettings()).mcpServers,
    settings: readSettings,
    defaultModel: settingsRead.defaultModel,
    pushDevices: async () => (await readSettings()).pushDevices,
    enableModels: async (provider, models) =>
      (await withRetry(router.dispatch)("settings", SETTINGS_ID, "enable_models", { provider, models })) as {
        provider: string;
        models: string[];
      },
    approval: readApproval,
    fork,
    cancel,
    sessionState,
    recover: recovery.recover,
    recoverCron: recovery.recoverCron,
    ownership: () => ownership?.view() ?? null,
    owns: (kind, id) => !ownership || ownership.owns(router.partitionKnown(kind, id, undefined)),
    stop: async () => {
      stopping = true;
      recovery.stop();
      for (const s of subs) s.unsubscribe();
      // No new slot starts; a slot claimed meanwhile is resolved by the next owner's adopt.
      await cron.stop();
      await run.works.abortAll(SHUTDOWN);
      // Effects chain (run ends → session records it), so drain until both are quiet.
      for (let i = 0; i < 3; i++) for (const host of Object.values(hosts)) await host.drain();
      // Runs are stopped by now; then their sandboxes (containers) go.
      await tools?.dispose();
      remote?.stop();
      stopNodeHooks?.();
    },
  };
}
