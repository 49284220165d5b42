/** Usage texts of the log tools (verify, audit, time travel, replay, export), loaded without anything heavy. */

export const logHelp = `Usage: cairn log verify [--json]

Walks the whole event log and checks its integrity chain: every event carries
the SHA-256 of the previous event of its aggregate plus its own content, so an
event altered, removed or reordered after the fact is a break. Prints each break
with its sequence, the rate (events/s), and a head digest: keep it, and a later
verify that prints the same digest proves no aggregate's newest event was
rewritten either. Works with the gateway running or stopped.

Options:
      --json   print the report as one JSON object
  -h, --help   show this help

Exit status: 0 when the log holds together, 1 on any break.`;
