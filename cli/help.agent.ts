/** Usage texts of what the agent gained in wave 2 (cron, hooks, MCP, channels, search, memory), loaded without anything heavy. */

export const cronHelp = `Usage: cairn cron add --name <name> (--every <interval> | --cron "<expr>" [--tz <zone>] | --at <time>)
                     --prompt "<text>" [--model <provider/model>] [--session <key>]
                     [--catch-up skip|run_once|run_all] [--timeout <interval>]
                     [--sandbox auto|docker|bubblewrap|none] [--approval-mode always|smart|never]
                     [--disabled] [--json]
       cairn cron edit <name> [any of add's options but --name and --disabled] [--json]
       cairn cron list [--json]
       cairn cron show <name> [--json]
       cairn cron runs <name> [--limit <n>] [--json]
       cairn cron enable|disable|run|remove <name> [--json]

A cron job runs an agent turn with its prompt on a schedule, in its own session
(cron-<name>) unless --session names one. Each slot is claimed in the event log
before its run starts, so it runs once, also across restarts and gateways.

add      create a job. Schedules:
           --every 15m            an interval (s, m, h, d; 1h30m), from now on
           --cron "0 9 * * 1-5"   5 fields (or 6, seconds first), read in --tz
           --tz Europe/Berlin     an IANA time zone for --cron (default UTC)
           --at 2026-12-24T18:00  once; local time unless it ends in Z or +hh:mm
edit     change a job: the options given replace its settings (a new schedule
         counts from now); --model default, --session own, --sandbox default and
         --approval-mode default go back to the configured ones. cairn's own
         jobs (system: the heartbeat) follow cairn.toml and refuse edits
list     every job: schedule, next run, last result, sandbox, approvals
show     one job and its latest slots
runs     a job's slots, newest first: status, run id, duration, tokens
enable   schedule a disabled job again, from now on (the time it was off is not caught up)
disable  stop scheduling a job (a run in progress goes on)
run      run the job now, outside its schedule
remove   delete the job (its history stays in the log)

Options:
      --catch-up <p>     after downtime: skip (late slots are not run),
                         run_once (default: the latest missed slot runs once),
                         run_all (each missed slot runs, one after another)
      --timeout <i>      a run still going after this is stopped and recorded
                         as timed out (default 10m)
      --model <m>        the model of the job's runs (default: the session's)
      --sandbox <b>      the exec sandbox of the job's runs (default: [cron]
                         sandbox, else the session's and [tools.exec.sandbox])
      --approval-mode <m>  how its runs ask before dangerous calls (default:
                         [cron] approval_mode, else tools.exec.approval_mode
                         as Settings say at run time)
      --disabled         create the job without scheduling it
      --json             one JSON object per line
  -h, --help             this help

Errors: a bad expression or unknown time zone is refused before anything is
stored (bad_request); an unknown name is cron_job_not_found.

The heartbeat: [heartbeat] every = "30m", active_hours = { start = "08:00",
end = "22:00", timezone = "Europe/Berlin" }, prompt, session, model, in
cairn.toml make cairn's own job 'heartbeat' (listed as system); beats run only
within the active hours. The agent's cron tool is limited by [cron]
rate_limit_max per rate_limit_window_secs (default 10 per 60 s).`;
export const hooksHelp = `Usage: cairn hooks [list] [--eligible] [--json]
       cairn hooks info NAME [--json]
       cairn hooks test NAME [--event EVENT] [--json]

list     every hook found, in precedence order: <workspaces dir>/.cairn/hooks/<name>/HOOK.md
         (project), <config dir>/hooks/<name>/HOOK.md (yours), [[hooks]] in cairn.toml, then
         the bundled ones (boot-md, command-logger, session-memory: off until enabled with
         [[hooks]] name = "…" enabled = true). Ineligible hooks are listed with why.
info     one hook: where it is, its command, events, priority, timeout, requirements, its text
test     runs the hook once on a sample payload of EVENT (default: its first event) and
         shows its decision: continue, modify (with the new data), block (with the reason)
         or failed (exit code, timeout, garbage or too much on stdout)

Options:
      --eligible         only hooks that will run (enabled, requirements met)
      --event <E>        the event to test with
      --json             one JSON object per line
  -h, --help             this help

A hook reads {"event","data","session_id","timestamp"} as JSON on stdin. Exit 0 continues;
exit 0 with {"action":"modify","data":{…}} on stdout changes BeforeToolCall's arguments,
BeforeAgentStart's message or MessageSending's text; exit 1 blocks those (stderr is the
reason). Other events only observe. 5 failures in a row disable a hook for 60 s.

Errors: an unknown name is hook_not_found.`;
export const mcpHelp = `Usage: cairn mcp [list] [--json]
       cairn mcp tools NAME [--json]
       cairn mcp resources NAME [--json]
       cairn mcp add NAME [options] -- CMD ARGS…
       cairn mcp add NAME --url URL [--sse] [options]
       cairn mcp remove NAME
       cairn mcp restart NAME

list     the gateway's MCP servers: state (starting, ready, degraded, backing
         off, disabled — with the reason), tools, approval, where configured
tools    the tools a server offers now, as the model sees them
         (mcp__<server>__<tool>), and whether a call asks first
resources  the resources (uri, name, type) and prompts (with their arguments) a
         server offers, when it declares them
add      add (or replace) a server; the running gateway starts it at once.
         A stdio server is the command after --; an HTTP server is --url
         (Streamable HTTP, falling back to SSE; --sse for SSE only)
remove   stop a server added with 'cairn mcp add' and forget it
restart  start a server again now, its failure count reset (e.g. disabled)

Servers in cairn.toml ([[mcp.servers]]) are listed too; edit them there.
Added servers are settings events in the log, so --env and --header values
must be references, never secrets: \${env:NAME} (the gateway's environment)
or \${key:NAME} (cairn providers set-key NAME).

Options (add):
      --env NAME=VALUE      environment of a stdio server (repeatable)
      --header "NAME: VALUE" header of an HTTP server (repeatable)
      --cwd DIR             working directory of a stdio server
      --approval MODE       always (default), smart (ask unless the tool says
                            it only reads) or never
      --trusted             approval never, unless --approval says otherwise
Options:
      --json      print JSON
  -h, --help      show this help`;

export const channelsHelp = `Usage: cairn channels [status] [--json]
       cairn channels pending [--all] [--json]
       cairn channels approve <user> [--access LEVEL] [--channel telegram] [--json]
       cairn channels deny <user> [--channel telegram] [--json]
       cairn channels access <user> read-only|execute|admin|default [--json]
       cairn channels set-token telegram

The agent where you are: Telegram today. Enable it in cairn.toml:

  [channels.telegram]
  enabled = true
  allowed_users = ["123456789", "@me"]   # let in without asking (ids or @usernames)
  access = "execute"                     # what approved senders may do (below)
  # webhook_url = "https://you.example/api/channels/telegram/webhook"
  #   Telegram posts updates to this gateway (through your proxy) instead of
  #   being polled; the secret it must echo is derived from the bot token

and give the gateway the bot token from @BotFather (never in cairn.toml):
CAIRN_TELEGRAM_TOKEN, or 'cairn channels set-token telegram' (stdin or a hidden
prompt; kept 0600 in the config dir). Anyone else who writes to the bot waits in
the pending queue until you approve them; each chat talks in its own session.

status     each channel: polling, listening (webhook), standby (another gateway
           owns it), backing off (with the error), off; and how many senders wait
pending    senders waiting to be let in (--all: everyone who wrote, and what
           was decided)
approve    let a sender in; their next message reaches the agent (--access:
           at their own level instead of the channel's)
deny       turn a sender away, or revoke one; their messages are recorded and
           not answered
access     a sender's own level ('default': back to the channel's). Levels:
             read-only  the agent answers and may only use tools that change
                        nothing (read, search, memory lookups)
             execute    every tool; each dangerous call asks a person, even when
                        approval_mode is "never" or you chose "always allow"
             admin      as you: your approval policy, and /model
           The level is recorded with each message: a change applies from the
           next message on.
set-token  store the bot token (restart the gateway to use it)

Options:
      --channel <name>  the channel of approve/deny (default telegram)
      --all             every sender, not only those waiting
      --json            one JSON object per line
  -h, --help            show this help`;
export const searchHelp = `Usage: cairn search "<words>" [--session <key>] [--limit <n>] [--json]

Searches every past chat (your messages and the agent's replies) in the running
gateway's read models: best matches first, matched words in bold. Every word must
match; the last one may be the start of a word ("sourd" finds "sourdough"); word
forms and accents are folded ("baking" finds "bake", "reykjavik" "Reykjavík").

Options:
  -s, --session <key>   only this session's messages
      --limit <n>       at most n matches (default 20, up to 200)
      --json            one JSON object per match: sessionKey, sessionTitle,
                        messageId, role, at, snippet (parts with match: true)
  -h, --help            show this help

The index is a read model: 'cairn projections rebuild' rebuilds it from the log.`;

export const memoryHelp = `Usage: cairn memory status [--json]
       cairn memory reindex [--json]
       cairn memory search "<words>" [--limit <n>] [--json]

The agent's long-term memory: markdown files in <data dir>/MEMORY.md,
<data dir>/memory/ and the [memory] directories, watched (a saved change is
searchable within a second), chunked by headings. The agent reads them with
memory_search and memory_get, and writes notes with memory_save.

status   files and chunks indexed, the embedder in use (or "keyword only" when
         none is reachable: search then uses full-text matching alone), the
         directories watched and the last error; after a start, how many
         vectors are loaded into memory yet (until all are, vector search
         asks sqlite-vec directly: the same answers, slower on large indexes)
reindex  reads every file again and embeds what changed, with a progress bar
search   what memory_search would find: file, lines, score, the text

Search is hybrid: full-text (SQLite FTS5, bm25) plus vectors (sqlite-vec), fused
by reciprocal rank. Embeddings come from [memory] embeddings, tried in order
(an OpenAI-compatible endpoint such as OpenAI or Ollama, or a local GGUF model);
one that keeps failing is skipped for a while, then tried again.

[memory] in cairn.toml:
  directories = ["~/notes"]      more folders to index (markdown)
  citations = "auto"             "on": results name file and lines; "off": never;
                                 "auto": when results come from several files
  session_export = false         true: a finished chat is written to
                                 memory/sessions/<key>.md
  [[memory.embeddings]]          provider = "openai" | "ollama" | "custom" | "local",
                                 model, base_url, api_key_env, model_path

Troubleshooting: "keyword only" in 'cairn memory status' means no embedder
answered; check its base_url and key, or add a local model_path. No results: check
that the files are .md and sit in a directory status lists.`;

export const settingsHelp = `Usage: cairn settings [list] [--json]
       cairn settings get KEY [--json]
       cairn settings set KEY VALUE [--json]
       cairn settings unset KEY [--json]
       cairn settings revoke COMMAND [--json]

What the web UI's Settings page changes, through the running gateway. Each
change is a settings event in the log and applies to the next run (no
restart); it wins over cairn.toml, and 'unset' falls back to the file again.

list     every key: the value in effect, the one set here, cairn.toml's; the
         "always allowed" commands; what only cairn.toml can set (read-only)
get      the value in effect of one key
set      change a key
unset    clear a key: cairn.toml's value (or the built-in default) applies
revoke   take back an "always allow": that exact command asks again

Keys:
  agent.model                 default model of new chats (provider/model)
  agent.system_prompt         the system prompt
  agent.max_iterations        model calls per run (1-1000)
  agent.timeout               whole-run time bound in seconds (1-86400)
  tools.exec.approval_mode    always | smart | never
  tools.exec.allowlist        command patterns that run without asking
                              (comma-separated, or a JSON array)
  tools.exec.sandbox.backend  auto | docker | bubblewrap | none

Options:
      --json            print JSON
`;
