// Reads one AfterToolCall payload on stdin and appends one JSON line to the command log.
import { appendFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const p = JSON.parse(input);
const file = process.env.CAIRN_COMMAND_LOG || join(homedir(), ".cairn", "logs", "commands.jsonl");
mkdirSync(dirname(file), { recursive: true });
const d = p.data ?? {};
const line = {
  at: p.timestamp,
  session: p.session_id,
  run: d.run_id,
  tool: d.tool,
  arguments: d.arguments,
  is_error: d.is_error,
  duration_ms: d.duration_ms,
};
appendFileSync(file, `${JSON.stringify(line)}\n`);
