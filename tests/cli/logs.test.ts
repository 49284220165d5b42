/**
 * `cairn logs` against a real gateway's log: the gateway writes JSON lines to
 * `<data dir>/logs/gateway.log`; the CLI shows them pretty or as stored, filters by level, and
 * `--follow` prints lines appended later (across a rotation), in a real child process.
 */
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT } from "../../cli/root.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";

let gw: GatewayProc;
beforeAll(async () => {
  gw = await startGatewayProc({ extraEnv: { OPENAI_API_KEY: "sk-proj-thisisasecretkey0123456789" } });
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
});

const logFile = () => join(gw.dataDir, "logs", "gateway.log");
const line = (level: string, msg: string) => `${JSON.stringify({ level, time: new Date().toISOString(), pid: 1, msg })}\n`;

test("the gateway's log is JSON lines; cairn logs shows them pretty, --json as stored, --level filters", async () => {
  // The file stream writes behind the terminal's "ready": wait for the ready line to land.
  const parsed = () =>
    readFileSync(logFile(), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
  await expect.poll(() => parsed().some((l) => /^cairn .* ready at http/.test(l.msg))).toBe(true);
  expect(parsed().some((l) => l.level === "info" && l.msg.startsWith("edge listening on http://"))).toBe(true);
  expect(readFileSync(logFile(), "utf8")).not.toContain("thisisasecretkey");

  appendFileSync(logFile(), line("warn", "memory: indexing failed: disk full"));
  const pretty = await gw.cli(["logs", "-n", "5"]);
  expect(pretty.code, pretty.stderr).toBe(0);
  expect(pretty.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}WARN {3}memory: indexing failed: disk full$/m);
  const json = await gw.cli(["logs", "--json", "-n", "2"]);
  expect(json.stdout.trim().split("\n")).toHaveLength(2);
  expect(JSON.parse(json.stdout.trim().split("\n")[1])).toMatchObject({ level: "warn", msg: "memory: indexing failed: disk full" });
  const warn = await gw.cli(["logs", "--level", "warn", "-n", "100"]);
  expect(warn.stdout).toContain("indexing failed");
  expect(warn.stdout).not.toContain("edge listening");
  expect((await gw.cli(["logs", "--level", "loud"])).code).toBe(2);
});

test("--follow prints lines written after it started, also after the file was rotated", async () => {
  const child = spawn(process.execPath, [join(ROOT, "cli", "bin.mjs"), "logs", "--follow", "-n", "0", "--level", "warn"], {
    env: { ...process.env, CAIRN_DATA_DIR: gw.dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const seen = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => out.includes(text) && resolve();
      child.stdout.on("data", (d: Buffer) => {
        out += d;
        check();
      });
      check();
    });
  try {
    // Appended until the follower (which starts at the end of the file) shows one.
    const first = seen("follow-one");
    const writer = setInterval(() => appendFileSync(logFile(), line("error", "follow-one")), 200);
    await first.finally(() => clearInterval(writer));
    appendFileSync(logFile(), line("info", "follow-quiet"));
    renameSync(logFile(), `${logFile()}.1`);
    const second = seen("follow-two");
    appendFileSync(logFile(), line("warn", "follow-two"));
    await second;
    expect(out).not.toContain("follow-quiet");
    expect(out).toMatch(/ERROR {2}follow-one/);
  } finally {
    child.kill("SIGTERM");
  }
}, 30_000);
