// What `cairn` decides before it loads anything: which command argv names, and the main help.
// Plain JavaScript without imports, so cli/bin.mjs answers `cairn --help` from here alone, and
// cli/main.ts (bundled) uses the same text and the same rule.

/** The main help; `version` is cairn's, from package.json. */
export const mainHelp = (version) => `cairn ${version} — a self-hosted personal AI gateway

Usage: cairn [command] [options]

Commands:
  gateway               run the gateway (the default when no command is given)
  chat <message>        send a message to the running gateway and stream the reply
  events tail           print the event log (--follow to keep watching; filter by session, run, type)
  events replay         rebuild the read models as of a sequence into a separate dir
  projections rebuild   rebuild every read model from the event log
  log verify | archive  check the log's integrity chain; archive events past a limit
  audit                 who decided what and why: decisions with their causation chains
  sessions              list, show, fork, delete; at (time travel), export, import
  providers [set-key]   provider status (keys, reachability, models); store a key
  models                the models cairn can use, with context window and capabilities
  approvals             pending tool approvals: list, approve <id>, deny <id>
  search <words>        search past chats (--session to narrow, --json)
  memory                the agent's memory files: status, reindex, search
  attachments           files sent with messages: list, status, gc (remove those no chat uses)
  cron                  scheduled agent work: add, list, show, runs, enable, disable, run, remove
  auth                  remote access: setup code, API keys (create|list|revoke), password, logout-all
  sandbox               which command sandboxes work here; build the docker image
  node                  pair this machine as a node, or manage the gateway's nodes
  mcp                   MCP servers: list, tools, add, remove, restart
  settings              list, get KEY, set KEY VALUE, unset KEY, revoke CMD (default model, prompt, limits, approvals)
  channels              Telegram: status, pending senders, approve, deny, set-token
  hooks                 lifecycle hooks (HOOK.md): list [--eligible], info NAME, test NAME --event E
  doctor                check remote exec: routes, nodes, pairing window, problems
  status                is the running gateway ok? bus, read models (lag, stalls), model
  metrics               the running gateway's figures: requests, model calls, tokens, tools, log
  logs                  the gateway's log: --follow, --level warn, --json
  cluster init <dir>    write a NATS cluster on this machine for several gateways
  cluster status <dir>  is each server of that cluster up, with a JetStream leader
  service               run the gateway as a systemd/launchd service: install, status, uninstall

Run 'cairn <command> --help' for a command's options.
Options: -h, --help   -v, --version`;

const HELP = ["-h", "--help", "help"];
const VERSION = ["-v", "--version"];

/**
 * `[command, ...its arguments]`: "help" and "version" for their flags, "gateway" when no command is
 * given or argv starts with an option (`cairn --port 8080` runs the gateway).
 */
export const commandOf = (argv) => {
  const [first] = argv;
  if (HELP.includes(first)) return ["help", ...argv.slice(1)];
  if (VERSION.includes(first)) return ["version", ...argv.slice(1)];
  if (first === undefined || first.startsWith("-")) return ["gateway", ...argv];
  return argv;
};

/** Commands that read the whole log: each message becomes objects that die young, by the million. */
const LOG_WALKS = ["log verify", "log archive", "events replay", "projections rebuild"];

/**
 * Whether argv runs a log walk. The gateway's young generation is kept small (2 MB, for its idle
 * memory), and V8 fixes that size when it starts: a walk in such a process scavenges half the
 * time (`log verify` 40k events/s against 80k with 64 MB, bench/audit.bench.ts), so cli/bin.mjs
 * runs it in a node started with `WALK_SEMI_SPACE_MB`.
 */
export const walksTheLog = (argv) => LOG_WALKS.includes(argv.slice(0, 2).join(" "));
export const WALK_SEMI_SPACE_MB = 64;
