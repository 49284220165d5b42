import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temp dir for hook scripts (real files, run by the real /bin/sh). */
export const hookTmp = (): string => mkdtempSync(join(tmpdir(), "cairn-hooks-"));

/** Writes `<root>/<name>/HOOK.md` (TOML front matter) and an executable `handler.sh`. */
export const writeHook = (
  root: string,
  name: string,
  o: { events: string[]; script: string; priority?: number; timeout?: number; extra?: string },
): string => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "HOOK.md"),
    [
      "+++",
      `name = "${name}"`,
      `events = [${o.events.map((e) => `"${e}"`).join(", ")}]`,
      `command = "./handler.sh"`,
      ...(o.priority !== undefined ? [`priority = ${o.priority}`] : []),
      ...(o.timeout !== undefined ? [`timeout = ${o.timeout}`] : []),
      ...(o.extra ? [o.extra] : []),
      "+++",
      "",
      `# ${name}`,
      "",
    ].join("\n"),
  );
  const handler = join(dir, "handler.sh");
  writeFileSync(handler, `#!/bin/sh\n${o.script}\n`);
  chmodSync(handler, 0o755);
  return dir;
};
