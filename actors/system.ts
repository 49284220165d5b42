// Over 300 lines on purpose: the one place where the hosts, their effects, the agent's tools and
// the command routing are wired together; each piece lives in its own folder, this only assembles.
import type { NatsConnection } from "@nats-io/transport-node";
import { request, subjects, type AttachmentStore, type EventLog, type GatewayMetrics, type SnapshotStore } from "../bus/index.ts";
import { CairnError, isCairnError, type AggregateKind, type AnyStoredEvent, type CronJobRow } from "../schemas/index.ts";
import { listModelInfo, modelVision, resolveModel, type ModelConfig, type ModelEnv, type ResolvedModel } from "./llm/index.ts";
import {
  AggregateHost,
  routeCommands,
  soleOwner,
  withRetry,
  type CommandRouter,
  type Dispatch,
  type Ownership,
  type OwnershipView,
} from "./runtime/index.ts";
import { SHUTDOWN, cancelRun, compactSession, loadCooldowns, runEffects, runSpec, type AgentOptions, type RunPolicy } from "./run/index.ts";
import { agentTools } from "./agent.tools.ts";
import { ApprovalWaiters, approvalSpec, approvalView, type ApprovalView } from "./approval/index.ts";
import {
  createSessionSpec,
  forkSession,
  forkSessionWith,
  sessionEffects,
  sessionTranscripts,
  setSessionNode,
  type ForkSession,
} from "./session/index.ts";
import { SETTINGS_ID, settingsSpec, type SettingsContext } from "./settings/index.ts";
import { channelSpec } from "./channels/index.ts";
import { AUTH_ID, authSpec, createAuthFlows, DEFAULT_SESSION_TTL_MS } from "./auth/index.ts";
import { sessionStateStore, stateSpec, type SessionStateStore } from "./state/index.ts";
import {
  DEFAULT_CRON_SETTINGS,
  createCronSpec,
  cronEffects,
  cronTool,
  jobOfMessage,
  runEnded,
  systemClock,
  type CronClock,
  type CronJobDue,
  type CronSettings,
} from "./cron/index.ts";
import type { McpHub } from "./mcp/index.ts";
import type { Tool } from "./tools/index.ts";
import { hookObserver, type HookDispatcher } from "./hooks/index.ts";
import type { McpServerEntry, NewEvent, PushDevice, SettingValues } from "../schemas/index.ts";
import { findNode, nodeContextPrompt, remoteExec, type NodePresence, type NodesReader, type RemoteExecOptions } from "./remote/index.ts";

export interface ActorSystemOptions {
  readonly nc: NatsConnection;
  readonly log: EventLog;
  readonly snapshots: SnapshotStore;
  readonly model: {
    readonly defaultModel: string | null;
    readonly env: ModelEnv;
    readonly config: ModelConfig;
    /** `[providers] fallback`: models tried in order when the run's own model fails retryably. */
    readonly fallback?: readonly string[];
    /** Resolves a model id to a provider; defaults to `resolveModel` over `env` and `config`. */
    readonly resolve?: (modelId: string) => ResolvedModel;
    /** Whether a model takes images; defaults to `modelVision` (discovery, else the catalogue). */
    readonly vision?: (modelId: string) => boolean | null;
  };
  readonly systemPrompt?: string;
  readonly maxTokens?: number;
  /** Where users' attached files are stored (`<data dir>/attachments`); absent: models get a note instead. */
  readonly attachments?: AttachmentStore;
  /**
   * The agent loop. Tools are offered only when `workspaceRoot` is set (default tools then: the
   * workspace file tools); `maxIterations` (default 25) and `timeoutMs` (default 600 000) bound a run.
   */
  readonly agent?: AgentOptions;
  /**
   * Nodes: live presence and the paired nodes (`q.nodes.list`). With them a session can be routed
   * to an approved node (`set_node`), its `exec` runs there, its runs see the node's AGENTS.md and
   * skills, and the agent gets the `nodes_*` tools (when exec is on).
   */
  readonly nodes?: { readonly presence: NodePresence; readonly reader: NodesReader; readonly remote?: RemoteExecOptions };
  /**
   * Many gateways on one NATS: the partitions this one owns (see `Ownership`). Absent, this
   * process is the only writer and owns everything (one gateway, tests).
   */
  readonly ownership?: Ownership;
  /**
   * The sessions the read models list as active, caught up with the log: adopted when a partition
   * is gained and by the periodic reconcile.
   */
  readonly activeSessions?: () => Promise<readonly string[]>;
  /**
   * The cron jobs the read models list (not removed), caught up with the log: armed when a
   * partition is gained (all) and by the reconcile (only those with a slot in progress or due
   * before `dueBefore`: a scan of every job each time would block the loop at 10,000 jobs).
   */
  readonly activeCronJobs?: (dueBefore?: number) => Promise<readonly CronJobDue[]>;
  /** The scheduler's clock (tests move it by hand) and `[cron]` settings. */
  readonly cron?: { readonly clock?: CronClock; readonly graceMs?: number; readonly settings?: CronSettings };
  readonly now?: () => number;
  readonly newId?: () => string;
  readonly report?: (line: string) => void;
  /** `[auth] session_expiry` in ms (default 7 days). */
  readonly sessionTtlMs?: number;
  /** The gateway's metrics: model calls, tools, approvals, sandboxed and node commands record here. */
  readonly metrics?: GatewayMetrics;
  /** MCP servers whose tools runs offer (the gateway starts and supervises them). */
  readonly mcp?: McpHub;
  /** The memory tools runs offer (`memoryTools`, actors/memory). */
  readonly memoryTools?: readonly Tool[];
  /** Lifecycle hooks (HOOK.md): fired at the run's points, on the facts hosts append, on node presence. */
  readonly hooks?: HookDispatcher;
  /** Facts hosts append, observed after they are durable besides the hooks' (Web Push: `PushNotifier.observe`). */
  readonly observers?: readonly AppendObserver[];
}

/** Sees the events a host appended, with the aggregate's context after them. */
export type AppendObserver = (kind: AggregateKind, id: string, events: readonly NewEvent[], context: unknown) => void;

/** Every so often the owner adopts its active sessions again: an effect that failed and could not
 * even record its failure is repaired, so a session is never left `session_busy` for longer. */
const RECONCILE_MS = 15_000;
/** Cron jobs adopted at once at start (each reads its log; measured in bench/cron.bench.ts). */
const CRON_ADOPT_CONCURRENCY = 16;

export interface ActorSystem {
  readonly dispatch: Dispatch;
  /** The models enabled for the picker, per provider (the settings aggregate, from the log). */
  enabledModels(): Promise<Readonly<Record<string, readonly string[]>>>;
  /** The MCP servers added from the CLI or UI (the settings aggregate, from the log). */
  mcpServers(): Promise<readonly McpServerEntry[]>;
  /** The whole settings aggregate (values changed in the UI or CLI, always-allowed commands). */
  settings(): Promise<SettingsContext>;
  /** The default model as last read from the settings (else the configured one); synchronous for status answers. */
  defaultModel(): string | null;
  /** The devices subscribed to Web Push (the settings aggregate, from the log). */
  pushDevices(): Promise<readonly PushDevice[]>;
  /** Records the enabled models of one provider (an event; nothing when unchanged). */
  enableModels(provider: string, models: readonly string[]): Promise<{ provider: string; models: string[] }>;
  /** One approval's state (from the log). */
  approval(id: string): Promise<ApprovalView>;
  /** Forks a session (`branch_session`): one `session.forked` event on the new key; idempotent on `forkKey`. */
  readonly fork: ForkSession;
  /** Per-session key-value state (the `state` aggregates), for the `session_state` tool. */
  readonly sessionState: SessionStateStore;
  /**
   * Takes over the sessions the projections list as active after a crash, those this gateway owns:
   * each session's machine re-arms its run's effects (see `AggregateHost.adopt`); resolves with how
   * many had a run.
   */
  recover(sessionKeys: readonly string[]): Promise<number>;
  /**
   * Takes over the cron jobs this gateway owns: each re-arms its next slot, or resolves the slot it
   * had claimed. A bare name is adopted from its log; a read model's row arms an idle job at once.
   */
  recoverCron(jobs: readonly (string | CronJobDue)[]): Promise<number>;
  /** Partitions, their owners and the gateways seen (null: this process owns everything). */
  ownership(): OwnershipView | null;
  /** Whether this gateway owns an aggregate that is not a session's (a channel's loop runs only there). */
  owns(kind: AggregateKind, id: string): boolean;
  /** Stops the session's running run (`by`: who asked, e.g. "cli"). */
  cancel(sessionKey: string, params: { runId?: string; by?: string }): Promise<{ runId: string | null; cancelled: boolean }>;
  /** A fresh one-time setup code while no password or passkey exists (for the gateway's terminal). */
  setupCode(): Promise<{ code: string; expiresAt: number } | undefined>;
  /** Stops taking commands, interrupts model calls in flight (recording them) and waits for effects. */
  stop(): Promise<void>;
}

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
  // The default model as last read from the settings (a command's check is synchronous; a run
  // reads the settings afresh when it starts).
  let defaultModelNow = o.model.defaultModel;
  const checkModel = (sessionModel: string | null) => resolve(sessionModel ?? defaultModelNow ?? "").modelId;

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
  const settings = new AggregateHost(settingsSpec, deps);
  const readSettings = async (): Promise<SettingsContext> => {
    const context = (await settings.read(SETTINGS_ID)).snapshot.context;
    defaultModelNow = context.values["agent.model"] ?? o.model.defaultModel;
    return context;
  };
  const settingValues = async (): Promise<SettingValues> => (await readSettings()).values;
  void readSettings().catch(() => undefined);
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
  /** The session's node with a name people recognise (the name is the node's own, from its hello or the list). */
  const sessionNode = async (key: string) => {
    const id = await nodeOf(key);
    if (!id || !o.nodes) return id ? { id, name: id, workingDir: undefined, status: undefined } : null;
    const hello = o.nodes.presence.hello(id);
    // Presence forgets a revoked node, so a node it has heard from is still approved.
    if (hello) return { id, name: hello.name, workingDir: hello.workingDir, status: "approved" };
    // null: the list could not be read (then the command itself finds out); undefined: not in it.
    const listed = await o.nodes.reader
      .list()
      .then((l) => findNode(l, id))
      .catch(() => null);
    return {
      id,
      name: listed?.name ?? id,
      workingDir: listed?.workingDir,
      status: listed === null ? undefined : (listed?.status ?? "unknown"),
    };
  };
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
      defaultApprovalMode: cronConfig.approvalMode ?? o.agent?.exec?.approvalMode ?? "smart",
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
  // A model's window: what its provider's model list says (discovery, cached), else the catalogue.
  const windows = new Map<string, { at: number; window: Promise<number | null> }>();
  const contextWindow = (modelId: string): Promise<number | null> => {
    const had = windows.get(modelId);
    if (had && deps.now() - had.at < 60_000) return had.window;
    const provider = modelId.slice(0, Math.max(0, modelId.indexOf("/")));
    const window = listModelInfo(o.model.env, o.model.config, { provider, enabled: new Set([modelId]) })
      .then((models) => models.find((m) => m.id === modelId)?.contextWindow ?? null)
      .catch(() => null);
    windows.set(modelId, { at: deps.now(), window });
    return window;
  };
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
    runPolicy,
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
  // The run's final usage is in its end event (the context only sums the calls that asked for tools).
  const readRunOutcome = async (runId: string, sessionKey: string) => {
    const c = (await runs.read(runId)).snapshot.context;
    if (c.status === "new" || c.status === "running") {
      // A run that never started (the gateway died first) stays "new" in its own log; its session
      // records the end instead (adoptRun). The session having moved on is the run's end.
      const session = (await sessions.read(sessionKey)).snapshot.context;
      if (session.activeRun?.runId !== runId && session.recentUserMessages.some((m) => m.runId === runId)) {
        return {
          ...c,
          status: "interrupted" as const,
          error: { code: "run_interrupted" as const, message: "the run ended before it started" },
        };
      }
      return c;
    }
    // Ended in its own log, but its session still holds it (a crash between the run's end and the
    // session's record of it, or that record on its way): the session would refuse the job's next
    // slot as busy, a claimed slot with no run. So the job's run ends when its session has let go:
    // adopting the session closes it (its `run.ended` then wakes the watch up again).
    if ((await sessions.read(sessionKey)).snapshot.context.activeRun?.runId === runId) {
      await recover([sessionKey]);
      if ((await sessions.read(sessionKey)).snapshot.context.activeRun?.runId === runId) return { ...c, status: "running" as const };
    }
    if (c.status !== "completed") return c;
    const end = (await o.log.load("run", runId)).records.findLast((r) => r.ok && r.event.type === "run.completed");
    return { ...c, usage: end?.ok && end.event.type === "run.completed" ? (end.event.data.usage ?? c.usage) : c.usage };
  };
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

  // A cron slot's run uses its job's sandbox and approval mode. Which job, if any, is read from the
  // log: the run's trigger message id names the job, and the job must have that very slot in progress
  // (a person cannot borrow a job's settings by choosing a message id that looks like one).
  const policies = new Map<string, RunPolicy | null>();
  async function runPolicy(runId: string, sessionKey: string): Promise<RunPolicy | null> {
    const known = policies.get(runId);
    if (known !== undefined) return known;
    // The run's own context names the message that started it (cached where the run lives).
    const messageId = (runs.peek(runId) ?? (await runs.read(runId)).snapshot).context.triggerMessageId;
    const job = messageId ? jobOfMessage(messageId) : null;
    let policy: RunPolicy | null = null;
    if (job) {
      const c = (await crons.read(job)).snapshot.context;
      if (c.current?.messageId === messageId && c.current?.sessionKey === sessionKey)
        policy = { sandbox: c.sandbox ?? cronConfig.sandbox, approvalMode: c.approvalMode ?? cronConfig.approvalMode };
    }
    if (policies.size >= 1000) policies.clear();
    policies.set(runId, policy);
    return policy;
  }

  const recover = async (keys: readonly string[]) => {
    let adopted = 0;
    for (const key of keys) {
      if (ownership && !ownership.owns(router.partitionKnown("session", key, key))) continue;
      try {
        const s = await sessions.adopt(key);
        if (s.context.activeRun) {
          adopted++;
          report(`adopted session ${key}: run ${s.context.activeRun.runId} goes on from where the log says it was`);
        }
      } catch (e) {
        report(`could not adopt session ${key}: ${(e as Error).message}`);
      }
    }
    return adopted;
  };
  // A job armed or working here needs nothing. An idle job is armed at the next slot the read model
  // gives, without reading its log (with 10,000 jobs that was 20 s of reads at every start): its
  // timer only wakes it, the job decides against its log. The others (a slot in progress, or only
  // a name) are adopted a few at a time: each is a read of its log.
  const recoverCron = async (jobs: readonly (string | CronJobDue)[]) => {
    const live = new Set(crons.liveIds());
    const owned = (n: string) => !ownership || ownership.owns(router.partitionKnown("cron", n, undefined));
    const todo: string[] = [];
    let armed = 0;
    for (const j of jobs) {
      const name = typeof j === "string" ? j : j.name;
      if (live.has(name) || cron.timers.has(name) || !owned(name)) continue;
      if (typeof j === "string" || j.inProgress) todo.push(name);
      else if (j.nextAt !== null && cron.armFromReadModel(name, j.nextAt)) armed++;
    }
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !stopping) {
        const name = todo[next++] as string;
        try {
          await crons.adopt(name);
          armed++;
        } catch (e) {
          report(`could not adopt cron job ${name}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CRON_ADOPT_CONCURRENCY, todo.length) }, worker));
    return armed;
  };
  // The reconcile looks one round ahead: a job not armed (its fire failed) is armed before its slot.
  const adoptActive = (cronDueBefore?: number) => {
    if (stopping) return;
    void o
      .activeSessions?.()
      .then(recover)
      .catch((e) => report(`could not adopt the active sessions: ${(e as Error).message}`));
    void o
      .activeCronJobs?.(cronDueBefore)
      .then(recoverCron)
      .catch((e) => report(`could not adopt the cron jobs: ${(e as Error).message}`));
  };
  const reconcile = setInterval(() => adoptActive(cronClock.now() + 2 * RECONCILE_MS), RECONCILE_MS);
  reconcile.unref?.();
  ownership?.listen({
    gained: () => {
      // Another gateway may have written while it owned them: read everything again, then adopt.
      for (const host of Object.values(hosts)) host.forget();
      adoptActive();
    },
    lost: (partitions) => {
      for (const host of Object.values(hosts)) host.forget();
      const lost = new Set(partitions);
      // The new owner arms these jobs; a timer left here would only ask it to decide twice.
      cron.timers.cancelWhere((name) => lost.has(router.partitionKnown("cron", name, undefined)));
      void run.works.abortWhere(
        (runId) => lost.has(router.partitionKnown("run", runId, router.sessionOf("run", runId))),
        new CairnError("run_interrupted", "this gateway lost ownership of the session; another gateway takes it over"),
      );
    },
    // Cron jobs do not hold a partition: an armed timer waits, and a watched run is re-watched by the new owner.
    isIdle: (p) =>
      !Object.entries(hosts).some(
        ([kind, host]) =>
          kind !== "cron" &&
          host.liveIds().some((id) => router.partitionKnown(kind as AggregateKind, id, router.sessionOf(kind as AggregateKind, id)) === p),
      ),
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
    defaultModel: () => defaultModelNow,
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
    recover,
    recoverCron,
    ownership: () => ownership?.view() ?? null,
    owns: (kind, id) => !ownership || ownership.owns(router.partitionKnown(kind, id, undefined)),
    stop: async () => {
      stopping = true;
      clearInterval(reconcile);
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
