/** Usage texts, kept apart from the commands so that `--help` loads nothing heavy. */

export const chatHelp = `Usage: cairn chat [--session <key>] [--json] <message...>

Sends a message to the running gateway and streams the reply to stdout.
The session is created if it does not exist yet.

Options:
  -s, --session <key>  session to talk in (letters, digits, '_' or '-'; default: cli)
      --json           print one JSON object per line: deltas, then the result
  -h, --help           show this help

Exit status: 0 when the reply completed; 1 when the gateway is not running, the
provider failed or the model is unknown; 2 for a wrong command line.`;

export const eventsHelp = `Usage: cairn events tail [--follow] [--json] [--kind <kind>] [--from <seq>] [--limit <n>]

Prints the event log, one line per event: sequence, time, aggregate, type, summary.

Options:
  -f, --follow        keep printing new events until interrupted (Ctrl-C)
      --json          one JSON object per line: seq, type, kind, id, time, data, ...
      --kind <kind>   only events of one aggregate kind (session, run)
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
CAIRN_NATS_CREDS (join an external NATS instead of the embedded one).`;

export const projectionsHelp = `Usage: cairn projections rebuild [--json]

Rebuilds every SQLite read model (sessions, messages, runs, audit) from the event
log, with a progress bar. The running gateway keeps serving from the old read
models until the new ones are complete, then switches over.

Options:
      --json   print the result as JSON
  -h, --help   show this help`;

