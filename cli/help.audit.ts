/** Usage texts of the log tools (verify, audit, time travel, replay, export), loaded without anything heavy. */

export const logHelp = `Usage: cairn log status [--json]
       cairn log verify [--archive] [--json]
       cairn log archive --max-age <age> | --max-bytes <n> [--json]

status prints the log's extent and size, its archives, the retention limits
([log] max_age / max_bytes in cairn.toml, applied on a timer by the gateway
that owns partition 0) and the last archive run (a settings.log_archived event).

Walks the whole event log and checks its integrity chain: every event carries
the SHA-256 of the previous event of its aggregate plus its own content, so an
event altered, removed or reordered after the fact is a break. Prints each break
with its sequence, the rate (events/s), and a head digest: keep it, and a later
verify that prints the same digest proves no aggregate's newest event was
rewritten either. Works with the gateway running or stopped.

archive writes the events older than --max-age (30d, 12h) or, above --max-bytes,
the oldest ones (down to 80% of it) to <data dir>/archive/events-<first>-<last>.jsonl.gz,
whole and chained, and only then removes them from the log. The read models are
untouched; 'events replay' and 'log verify --archive' read the archives first.

Options:
      --archive          verify the archives and the log as one chain
      --max-age <age>    archive events older than this (archive)
      --max-bytes <n>    keep the log under this many bytes (archive)
      --json             print the report as one JSON object
  -h, --help             show this help

Exit status: 0 when the log holds together, 1 on any break.`;

export const auditHelp = `Usage: cairn audit [--session <key>] [--run <id>] [--since <time>] [--actor <kind>]
                  [--kind <category>] [--all] [--limit <n>] [--json]

Lists decisions (tool calls, approvals, credentials, configuration, nodes) with who
took them and why: each one is followed by its causation chain, nearest cause first
(the approval it answers, the tool call that asked, the run, the message that
started it). Read from the audit read model of the running gateway.

Options:
      --session <key>    only what happened in this session (its runs and approvals too)
      --run <id>         only what happened in this run
      --since <time>     from a date (2025-01-31, 2025-01-31T12:00) or an age (30m, 2h, 7d)
      --actor <kind>     who acted: user, agent, cron, node, hook, channel, system
      --kind <category>  tool, approval, auth, config or node
      --all              every event, not only decisions
  -n, --limit <n>        the newest n (default 200)
      --json             one JSON object per line, with its chain
  -h, --help             show this help`;

export const sessionsLogUsage = {
  at: "cairn sessions at <key> --seq <n> | --time <time> [--json]",
  export: "cairn sessions export <key> [--format jsonl|markdown] [--out <file>]",
  import: "cairn sessions import <file> [--as <key>] [--json]",
} as const;

export const sessionsLogHelp = `Usage: ${sessionsLogUsage.at}
       ${sessionsLogUsage.export}
       ${sessionsLogUsage.import}

at      the session as it was at a point of the log: its settings, messages,
        tool calls and approvals, folded from the log by the same code that
        builds the live read models. --seq <n>: after event n; --time: after
        the last event appended by then (2025-01-31T12:00, or an age: 2h, 7d)
export  jsonl (default): the session's events and its runs' and approvals',
        exactly as stored with their integrity chain (checkable from the file
        alone); markdown: the transcript, for a person to read
import  a jsonl export into this gateway's log: checked whole first (format,
        each event's schema, the chain) so a bad file writes nothing; events
        get new ids, keep their time and who did them. A session key that
        exists is refused: --as <key> imports under another key. A run that
        was cut short is finished by running the same import again

Works with the gateway running or stopped.

Options:
      --seq <n>        the log sequence to look at (at)
      --time <time>    a date or an age (at)
      --format <f>     jsonl or markdown (export)
  -o, --out <file>     write the export there (whole, or not at all) instead of stdout
      --as <key>       the imported session's key (import)
      --json           print JSON
  -h, --help           show this help`;
