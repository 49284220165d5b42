// BeforeAgentStart: prepends <workspace>/BOOT.md to the message the model reads, when it exists.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const p = JSON.parse(input);
const root = p.data?.workspace;
const file = root ? join(root, "BOOT.md") : null;
if (file && existsSync(file)) {
  const boot = readFileSync(file, "utf8").trim();
  if (boot)
    process.stdout.write(
      JSON.stringify({ action: "modify", data: { ...p.data, message: `<boot>\n${boot}\n</boot>\n\n${p.data.message}` } }),
    );
}
