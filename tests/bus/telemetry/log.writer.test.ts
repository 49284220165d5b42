/**
 * The gateway's structured log on real files: JSON lines with levels, rotation by size with the
 * rotated files numbered, credentials cut out of messages and fields before they reach the disk.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createLogWriter, levelOfLine, scrubSecrets } from "../../../bus/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cairn-logw-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (f: string) =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("log writer", () => {
  test("one JSON object per line with level, time and message; lines below the level are not written; the file is 0600", async () => {
    const file = join(dir, "logs", "gateway.log");
    const w = createLogWriter({ file, level: "info", maxBytes: 1024 * 1024, maxFiles: 3 });
    w.write("debug", "not written");
    w.write("info", "edge listening", { port: 8080 });
    w.write("warn", "provider failed");
    await w.close();
    const got = lines(file);
    expect(got.map((l) => [l.level, l.msg])).toEqual([
      ["info", "edge listening"],
      ["warn", "provider failed"],
    ]);
    expect(got[0].port).toBe(8080);
    expect(typeof got[0].time).toBe("string");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("rotated by size: gateway.log.1 holds the older lines, no more files than max_files are kept", async () => {
    const file = join(dir, "gateway.log");
    const w = createLogWriter({ file, level: "info", maxBytes: 2048, maxFiles: 2 });
    for (let i = 0; i < 200; i++) {
      w.write("info", `line ${i} ${"x".repeat(40)}`);
      // rotating-file-stream rotates between writes it has flushed: give it the turn it needs.
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
    }
    await w.close();
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["gateway.log", "gateway.log.1", "gateway.log.2"]);
    const newest = lines(file).map((l) => l.msg as string);
    const older = lines(`${file}.1`).map((l) => l.msg as string);
    expect(newest.at(-1)).toMatch(/^line 199 /);
    // .1 ends where the current file begins.
    expect(Number(/^line (\d+)/.exec(older.at(-1)!)![1]) + 1).toBe(Number(/^line (\d+)/.exec(newest[0])![1]));
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2048 + 200);
  });

  test("credentials never reach the file: keys in messages, secret-named fields, URLs with passwords", async () => {
    const file = join(dir, "gateway.log");
    const w = createLogWriter({ file, level: "info", maxBytes: 1024 * 1024, maxFiles: 1 });
    const key = "sk-proj-abcdefghijklmnopqrstuvwxyz012345";
    w.write("warn", `openai said 401 for key ${key} (Authorization: Bearer ${key})`);
    w.write("info", "connected", {
      url: "nats://gw:s3cretpass@127.0.0.1:4222",
      token: "ck_live_abcdefgh12345678",
      nested: { password: "hunter2hunter2" },
    });
    await w.close();
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("abcdefghijklmnopqrstuvwxyz012345");
    expect(text).not.toContain("s3cretpass");
    expect(text).not.toContain("ck_live_abcdefgh12345678");
    expect(text).not.toContain("hunter2hunter2");
    expect(text).toContain("sk-proj-[redacted]");
    expect(text).toContain("nats://gw:[redacted]@127.0.0.1:4222");
  });
});

describe("scrubSecrets", () => {
  test.each([
    ["anthropic key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA", "sk-ant-AAAAAAAAAAAAAAAAAAAAAAAA"],
    ["groq gsk_0123456789abcdefghij", "gsk_0123456789abcdefghij"],
    ["api_key=0123456789abcdef", "0123456789abcdef"],
    ['"password": "correct horse battery"', "horse battery"],
    ["seed SUAM3OXGDY5XZ3SNZ2W3JAXCQMXJ5U4Z4Y2VYQYTRGSJB4C5G7ZMCZHZ4M", "SUAM3OXGDY5XZ3SNZ2W3JAXCQMXJ5U4Z4Y2VYQYTRGSJB4C5G7ZMCZHZ4M"],
    ["jwt eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5In0.eyJqdGkiOiJBQkNERUZHSCJ9.c2lnbmF0dXJlc2lnbmF0dXJl", "c2lnbmF0dXJlc2lnbmF0dXJl"],
    ["bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"],
  ])("%s", (text, secret) => {
    expect(scrubSecrets(text)).not.toContain(secret);
  });

  test("ordinary lines are left alone", () => {
    const line = "edge listening on http://127.0.0.1:8080 (transport: uws); 3 sessions, run r-1 completed in 812 ms";
    expect(scrubSecrets(line)).toBe(line);
  });

  test("the gateway's plain lines get a level from their wording", () => {
    expect(levelOfLine("memory: indexing failed: disk full")).toBe("warn");
    expect(levelOfLine("could not send the last traces")).toBe("warn");
    expect(levelOfLine("edge listening on http://127.0.0.1:1")).toBe("info");
  });
});
