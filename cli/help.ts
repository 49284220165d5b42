// Over 300 lines on purpose: every command's help text, side by side, so they read alike.
/** Usage texts, kept apart from the commands so that `--help` loads nothing heavy. */

export const chatHelp = `Usage: cairn chat [--session <key>] [--model <id>] [--attach <file>]... [--json] <message...>

Sends a message to the running gateway and streams the reply to stdout.
The session is created if it does not exist yet. If the model fails with a
retryable error (rate limit, overload, 5xx, unreachable) before the reply
starts, the gateway moves to the next model of [providers] fallback and says
so on stderr.

Tool calls the agent makes are shown on stderr, one line each (⚙ when a call
starts, ✓/✗ when it ends); a command that needs your approval prints the
\`cairn approvals approve|deny <id>\` to answer it with. Ctrl-C stops the
reply (the model is told it was stopped); Ctrl-C again leaves at once.

Options:
  -s, --session <key>  session to talk in (letters, digits, '_' or '-'; default: cli)
  -m, --model <id>     switch the session to this model first (provider/model,
                       e.g. openai/gpt-4o-mini); it stays the session's model
  -a, --attach <file>  send a file with the message (repeatable, up to 8): an image
                       (PNG, JPEG, GIF, WebP; max 5 MiB) for a vision model, or a
                       UTF-8 text file (max 512 KiB) put into the message
      --json           print one JSON object per line: deltas, model switches,
                       tool calls, approvals, then the result
  -h, --help           show this help

Exit status: 0 when the reply completed; 1 when the gateway is not running, the
provider failed or the model is unknown; 2 for a wrong command line; 130 when
you stopped the reply with Ctrl-C.`;

export const eventsHelp = `Usage: cairn events tail [--follow] [--json] [--kind <kind>] [--session <key>] [--run <id>]
                        [--type <type>] [--from <seq>] [--limit <n>]
       cairn events replay --to <seq> --into <dir> [--json]

tail prints the event log, one line per event: sequence, time, aggregate, type, summary.
replay builds the read models as they were at sequence <seq> into <dir> (a
separate data dir, for investigation), with a progress bar; the live read
models are not touched.

Options:
  -f, --follow        keep printing new events until interrupted (Ctrl-C)
      --json          one JSON object per line: seq, type, kind, id, time, actor, data, ...
      --kind <kind>   only events of one aggregate kind (session, run, settings)
      --session <key> only this session's events, its runs' and their approvals'
      --run <id>      only this run's events and its approvals'
      --type <type>   only this event type (run.tool_finished), or a prefix ending in '.'/'_' (approval.)
      --from <seq>    start at this sequence (default: the last --limit events)
  -n, --limit <n>     how many events to print before following (default 50)
  -h, --help          show this help`;

export const gatewayHelp = `Usage: cairn [gateway] [--host <addr>] [--port <n>]

Runs the gateway: an embedded NATS server (JetStream, operator/JWT mode), the
event log, the actors, the read models and the web UI on http://127.0.0.1:13131.
Stop it with Ctrl-C or SIGTERM.

Options:
      --host <addr>  listen address (default 127.0.0.1; CAIRN_HOST); any other
                     address requires CAIRN_AUTH_TOKEN
      --port <n>     HTTP port (default 13131; CAIRN_PORT; 0 picks a free one)
  -h, --help         show this help

Environment: CAIRN_DATA_DIR (default ~/.cairn), CAIRN_CONFIG_DIR (default
~/.config/cairn), CAIRN_MODEL (e.g. openai/gpt-4o-mini), OPENAI_API_KEY,
OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, CAIRN_NATS_URL and
CAIRN_NATS_CREDS (join an external NATS instead of the embedded one; several
URLs, comma separated, for a cluster: see 'cairn cluster --help'; several
gateways may share one, each taking its share of the sessions),
CAIRN_NATS_REPLICAS (stream copies; default 1, or up to 3 on a cluster),
CAIRN_WORKSPACES_DIR and CAIRN_SKILLS_DIR (shared by gateways on one NATS).`;

export const projectionsHelp = `Usage: cairn projections rebuild [--json]

Rebuilds every SQLite read model (sessions, messages, runs, audit) from the event
log, with a progress bar. The running gateway keeps serving from the old read
models until the new ones are complete, then switches over. With no gateway
running, the data dir's NATS server is started just for the rebuild.

Options:
      --json   print the result as JSON
  -h, --help   show this help`;

export const sessionsHelp = `Usage: cairn sessions list [--json] [--limit <n>]
       cairn sessions show <key> [--json]
       cairn sessions fork <key> [--at <n>] [--label <text>] [--json]
       cairn sessions compact <key> [--json]
       cairn sessions delete <key> [--json]
       cairn sessions rename <key> <title> [--json]
       cairn sessions pin|unpin <key> [--json]
       cairn sessions at|export|import ...   (time travel, export, import:
                                             'cairn sessions at --help')

list    the most recently updated sessions: key, last update, message count,
        model and title (--json: one object per line); forks are indented
        under their parent and marked fork@N
show    one session: title, model, message count, created and updated times,
        its token usage over all runs (input, output, cache read and write),
        and for a fork its parent and fork point
fork    a new, independent session holding a copy of the first <n> messages
        (all finished ones without --at), with the same model and sandbox;
        prints the new session's key
compact summarises the session's finished turns with its model (/compact in
        the chat): later prompts send the summary and the turns after it. The
        messages stay in the history and in search. Runs also compact by
        themselves before a prompt would outgrow the model's context window
delete  removes a session from every list; its forks stay. Refused while a
        reply is streaming (stop the run first); deleting twice is not an error
rename  gives the session a title of your own (quote it if it has spaces);
        the web UI's chat list shows it at once
pin     keeps the session at the top of the list (the web UI's Pinned group);
        unpin puts it back in date order

Options:
      --json          print JSON instead of text
  -n, --limit <n>     how many sessions to list (default 50)
      --at <n>        fork after the first <n> messages (0 = none)
      --label <text>  the fork's label (also its title)
  -h, --help          show this help

Exit status: 0 on success; 1 when the gateway is not running or the session
does not exist; 2 for a wrong command line.`;

export const providersHelp = `Usage: cairn providers [list] [--json] [--refresh]
       cairn providers set-key <provider> [--json]

list     every LLM provider cairn knows (built-in and [[providers.custom]]):
         where its key comes from (env or stored, with its last 4 characters;
         never the key), whether it answers, and how many models it serves
set-key  store a provider's API key in <config dir>/provider_keys.json (mode
         0600). The key is read from stdin when piped (cairn providers set-key
         openrouter < key.txt), otherwise from a prompt that does not echo;
         never from the command line, where shell history and 'ps' would keep
         it. A running gateway uses it from its next request. An environment
         variable (e.g. OPENROUTER_API_KEY) still wins over a stored key.

Asks the running gateway; without one, answers from the config, this shell's
environment, the stored keys and the model cache.

Options:
      --json      print JSON instead of a table
      --refresh   ask every provider again now instead of using the model cache
  -h, --help      show this help

Providers: openai, anthropic, openrouter, groq, mistral, deepseek, together,
fireworks, cerebras, xai, gemini, ollama, lmstudio, venice, moonshot, local.
Each reads <ID>_API_KEY and <ID>_BASE_URL (e.g. GROQ_API_KEY, GROQ_BASE_URL);
[providers.<id>] base_url / api_key_env / models in cairn.toml change them.

Exit status: 0 on success; 1 when a provider or the key store fails; 2 for a
wrong command line.`;

export const modelsHelp = `Usage: cairn models [--json] [--provider <id>] [--refresh]

Lists the models cairn can use: those the providers with a key (or needing none)
serve, the models listed in cairn.toml, the default model and the fallback
chain, with context window, tool use and vision when known ('?' when not).
Model lists are cached for 10 minutes (and across restarts).

Asks the running gateway; without one, answers from the config, this shell's
environment, the stored keys and the model cache.

Options:
      --json            print {"models": [...], "defaultModel": ...}
      --provider <id>   only this provider's models
      --refresh         ask the providers again now
  -h, --help            show this help

Exit status: 0 on success; 1 on failure; 2 for a wrong command line.`;

export const authHelp = `Usage: cairn auth setup-code [--json]
       cairn auth keys create --label <name> [--scopes a,b] [--json]
       cairn auth keys list [--json]
       cairn auth keys revoke <id> [--json]
       cairn auth password            (the new password on stdin)
       cairn auth logout-all [--json]

Remote access. Browsers off this machine log in with a password or a passkey;
scripts and tools use API keys (Authorization: Bearer <key>, or auth.api_key in
the WebSocket connect).

setup-code   a one-time code for the first remote visit, while no password or
             passkey is set (valid 30 minutes)
keys create  a new API key, printed once; --scopes from operator.read,
             operator.write, operator.approvals, operator.pairing,
             operator.admin (default: full access)
keys list    every key with its scopes (the key itself is never shown again)
keys revoke  the key stops working at once, open connections too
password     sets or resets the password (read from stdin)
logout-all   ends every browser login session

Options:
      --json           one JSON value on stdout
  -h, --help           show this help

Exit status: 0 on success; 1 on failure; 2 for a wrong command line.`;

export const approvalsHelp = `Usage: cairn approvals list [--all] [--json]
       cairn approvals approve <id> [--always] [--json]
       cairn approvals deny <id> [--reason <text>] [--json]

list     approvals waiting for an answer (--all: decided ones too), newest first
approve  let the command run (--always: also remember to allow it from now on)
deny     refuse it; the reason goes back to the model as the tool result

The first answer wins: answering an approval that is already decided changes
nothing and says how it was decided. Unanswered approvals expire after
[tools.exec] approval_timeout (default 30 min).

Options:
      --all            list decided approvals too
      --always         with approve: always allow this command
      --reason <text>  with deny: why (the model sees it)
      --json           print JSON instead of text
  -h, --help           show this help

Exit status: 0 on success; 1 when the gateway is not running, the approval does
not exist or was already decided otherwise; 2 for a wrong command line.`;

export const sandboxHelp = `Usage: cairn sandbox status [--json]
       cairn sandbox build-image [--tag <image>] [--json]

status       which sandbox backends work on this machine (docker, bubblewrap,
             none), why the others do not, and what [tools.exec.sandbox]
             backend = "auto" picks (the strongest: docker > bubblewrap > none)
build-image  build the docker sandbox image (default cairn-sandbox:latest, or
             [tools.exec.sandbox] image) from the local busybox-static; nothing
             is pulled. Needs a running Docker (or Podman) engine.

Options:
      --tag <image>  the image name to build
      --json         print JSON instead of text
  -h, --help         show this help

Exit status: 0 on success; 1 when the configured backend cannot run here or the
image cannot be built; 2 for a wrong command line.`;

export const nodeHelp = `Usage: cairn node <command> [options]

Nodes are your other machines: paired with the gateway, they run the agent's
commands (exec) when a chat session is routed to them.

On the machine that becomes a node:
  add --host <url>    pair this machine with a gateway and start the node agent
  run                 run the node agent in this terminal (what the service runs)
  status              gateway, name, node id, fingerprint, service, connected?
  fingerprint         print this node's key fingerprint (SHA256:<base64>)
  logs                print the node's log file path (tail -f $(cairn node logs))
  remove              stop and remove the service and the saved settings

On the gateway:
  pairing enable [--minutes <n>]   accept pairing requests for n minutes (10)
  pairing disable                  stop accepting pairing requests now
  pairing status                   whether pairing requests are accepted, until when
  pending                          pairing requests waiting for a decision
  approve <request-id>             approve a request: the node gets credentials
  reject <request-id>              reject a request
  list                             nodes with their state, online or not, telemetry
  revoke <node-id>                 disconnect a node now, until it is paired again

Options of 'add':
      --host <url>          the gateway's HTTP address, e.g. http://gw.lan:13131
                            (CAIRN_GATEWAY_URL; a ws:// address works too)
      --name <text>         display name on the gateway (default: hostname)
      --working-dir <dir>   where commands run; they cannot leave it (default $HOME)
      --timeout <seconds>   cap on any command's run time (default 300)
      --node-id <id>        this node's id (default: a random n-xxxxxxxxxx)
      --foreground          run the agent in this terminal (Ctrl-C disconnects)
                            instead of installing a service
Options of 'remove':
      --forget-key          also delete the node's key (a new pairing shows a new
                            fingerprint)
Common options:
      --json                print JSON instead of text
  -h, --help                show this help

'add' creates the node's Ed25519 key on first run (<data dir>/node/node.seed,
mode 0600; it never leaves this machine), prints its fingerprint, sends a
signed pairing request and waits until the gateway approves it (compare the
fingerprint there: 'cairn node pending' or the Nodes page). The gateway's
pairing window must be open ('cairn node pairing enable' on the gateway).
Without --foreground it then installs a service: a systemd user unit
(~/.config/systemd/user/cairn-node.service) on Linux, a launchd agent
(~/Library/LaunchAgents/org.cairn.node.plist) on macOS, enabled where the init
system answers; otherwise it prints the commands to run. Settings are saved in
<data dir>/node.json. Only TERM, LANG and LC_* are passed on from the gateway's
requests; the node's own secret-looking variables are not given to commands.

Environment: CAIRN_DATA_DIR (default ~/.cairn), CAIRN_GATEWAY_URL,
CAIRN_NODE_SERVICE=none (write the service file but do not enable it).

Exit status: 0 on success; 1 when the gateway refused (pairing closed, key
mismatch, rejected) or cannot be reached; 2 for a wrong command line.`;

export const doctorHelp = `Usage: cairn doctor [--json]

Checks the running gateway's remote-exec setup and prints:
  - whether exec is on, the local sandbox and the approval mode
  - the pairing window (open until when, or closed)
  - the paired nodes and their state (online, last seen)
  - where each session's commands run (local or a node), every session
    pinned to a node and the most recent local ones
  - misconfigurations, each with a hint: a session pinned to a revoked,
    unknown or offline node, exec off, no sandbox, a node with alerts

Options:
      --json   the report as one JSON object
  -h, --help   show this help

Exit status: 0 when the report was printed (even with warnings); 1 when the
gateway is not running.`;

export const metricsHelp = `Usage: cairn metrics [--json]

Prints the running gateway's current figures, the same registry GET /metrics
serves to Prometheus: HTTP and WebSocket requests, model calls (duration, time
to first token, tokens in/out/cache by provider and model, errors, fallbacks),
tool calls and approvals, sandboxed and node commands, the event log (appends,
bytes, conflicts), the read models' lag, the NATS connection, and the process
(memory, event-loop lag, GC). Histograms show count, sum and mean; series with
nothing recorded are left out. Labels never hold session keys or secrets.

  --json   the families as prom-client JSON: {enabled, families: [{name, help,
           type, values: [{value, labels, metricName?}]}]}

Exit status: 0 on success; 1 when the gateway is not running; 2 for a wrong
command line.`;

export const logsHelp = `Usage: cairn logs [--follow] [--level L] [--json] [-n N]

Shows the gateway's log (<data dir>/logs/gateway.log): JSON lines written by the
gateway (pino), rotated by size into gateway.log.1, .2, … ([log] max_size_mb,
default 10; max_files, default 5). Credentials (provider and API keys, tokens,
passwords, NATS seeds, JWTs) are cut out before a line is written.

  -f, --follow     keep printing lines as they are written (across rotations);
                   Ctrl-C stops
  -l, --level L    lines at or above L: debug, info (default), warn, error.
                   What is written at all is [log] level (or CAIRN_LOG_LEVEL)
  -n, --lines N    the newest N lines first (default 50; 0 with --follow: only new ones)
  --json           the stored JSON lines as they are, one per line

Exit status: 0 on success; 1 when there is no log yet; 2 for a wrong command line.`;

export const statusHelp = `Usage: cairn status [--json]

Asks the running gateway how it is (the same answer as GET /health and the web UI):
  - overall: ok, or degraded with the reason
  - the message bus (nats-server version, connected)
  - the read models: checkpoint, the log's last event, the lag, and whether
    the projector keeps up (degraded when its log consumer stopped or stalled
    and is being restarted, or it stays far behind)
  - the default model and the exec sandbox
  - ownership: this gateway's id and the partitions of the sessions it owns
    (16 in all), the other gateways on the same NATS with what they own, the
    NATS servers and how many copies the event log has (degraded while its
    lease is stale: it then writes nothing)

Exit status: 0 when ok, 3 when the gateway answered degraded, 1 when it is not
running or did not answer.

Options:
  --json   print the status object (q.status.get) as one JSON line`;

export const clusterHelp = `Usage: cairn cluster init <dir> [--servers <n>] [--host <addr>]
                         [--client-port <n>] [--cluster-port <n>] [--json]
       cairn cluster status <dir> [--json]

Writes everything a JetStream cluster of nats-servers on this machine needs,
so that several cairn gateways can share one event log: an operator/JWT
identity (the same on every server), the gateway and CLI creds (0600), and one
nats-server config per server (<dir>/n1/nats.conf, ...) with its own name,
ports, resolver dir and JetStream store. Prints the commands that start the
servers and the gateways (infra/cluster/up.sh runs them for you).

Running it again keeps the keys, creds and route secret: servers and gateways
started earlier stay valid. Options left out keep the values of the last run
(<dir>/cluster.json). Gateways joined to the cluster keep their streams on 3
servers (CAIRN_NATS_REPLICAS overrides).

status  asks each server whether it is up and which JetStream meta leader it
        sees; exit status 0 when all are up and agree, 1 otherwise.

Options:
      --servers <n>       how many nats-servers (default 3; 3 survives losing one)
      --host <addr>       listen address of every server (default 127.0.0.1;
                          loopback only: the servers speak plain NATS)
      --client-port <n>   client port of the first server (default 4222);
                          server i listens on <n>+i-1
      --cluster-port <n>  route port of the first server (default 6222)
      --json              print what was written as one JSON object
  -h, --help              show this help`;
