// AgentEnd: appends the reply to <dir>/<session>.md; SessionEnd: notes that the session ended.
import { appendFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const p = JSON.parse(input);
const dir = process.env.CAIRN_SESSION_MEMORY_DIR || join(homedir(), ".cairn", "memory", "sessions");
const session = String(p.session_id ?? "unknown").replace(/[^A-Za-z0-9_-]/g, "_");
mkdirSync(dir, { recursive: true });
const file = join(dir, `${session}.md`);
if (p.event === "AgentEnd" && p.data?.status === "completed" && p.data.text)
  appendFileSync(file, `\n## ${p.timestamp}\n\n${p.data.text}\n`);
if (p.event === "SessionEnd") appendFileSync(file, `\n_session ended ${p.timestamp}_\n`);
