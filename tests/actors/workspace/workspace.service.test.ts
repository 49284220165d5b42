/**
 * `q.workspace.read` on a real nats-server and real files: what the end-to-end test (a gateway
 * and an exec run) does not reach — the size caps (the service's own and one bus message), a
 * directory. Confinement (`..`, absolute paths, symlinks out) is covered end to end.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { MAX_WORKSPACE_READ_BYTES, serveWorkspaceFiles } from "../../../actors/workspace/index.ts";
import { request, subjects } from "../../../bus/index.ts";
import type { ReadWorkspaceFileResult } from "../../../schemas/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";

let nats: TestNats;
let nc: NatsConnection;
let root: string;
let subs: Array<{ unsubscribe(): void }>;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  root = mkdtempSync(join(tmpdir(), "cairn-ws-read-"));
  mkdirSync(join(root, "s1", "dir"), { recursive: true });
  writeFileSync(join(root, "s1", "notes.md"), "héllo\n");
  // Over the cap, in two-byte characters: wherever it is cut, the text must not end in half of one.
  writeFileSync(join(root, "s1", "big.txt"), "é".repeat(MAX_WORKSPACE_READ_BYTES / 2 + 1));
  // Under the cap but over one bus message (1 MiB by default), and doubled by JSON escaping.
  writeFileSync(join(root, "s1", "quotes.txt"), '"'.repeat(700 * 1024));
  subs = serveWorkspaceFiles(nc, root);
}, 60_000);
afterAll(async () => {
  for (const s of subs ?? []) s.unsubscribe();
  await nats?.stop();
  rmSync(root, { recursive: true, force: true });
});

const read = (sessionKey: string, path: string) =>
  request(nc, subjects.query("workspace", "read"), { sessionKey, path }) as Promise<ReadWorkspaceFileResult>;

test("a small file comes back whole, with its size in bytes", async () => {
  expect(await read("s1", "notes.md")).toEqual({ path: "notes.md", text: "héllo\n", bytes: 7, truncated: false });
});

test("a file over the cap is cut to what one reply carries (never inside a character) and says so", async () => {
  const r = await read("s1", "big.txt");
  expect(r.truncated).toBe(true);
  expect(r.bytes).toBe(MAX_WORKSPACE_READ_BYTES + 2);
  expect(r.text).toMatch(/^é+$/);
  const maxPayload = nc.info!.max_payload;
  expect(Buffer.byteLength(r.text)).toBeLessThan(maxPayload);
  // Most of a message, not a token amount.
  expect(Buffer.byteLength(r.text)).toBeGreaterThan(maxPayload * 0.9);
});

test("text that JSON escaping makes larger than a message is cut until the reply fits", async () => {
  const r = await read("s1", "quotes.txt");
  expect(r).toMatchObject({ truncated: true, bytes: 700 * 1024 });
  expect(r.text).toMatch(/^"+$/);
  expect(Buffer.byteLength(JSON.stringify(r.text))).toBeLessThan(nc.info!.max_payload);
  expect(r.text.length).toBeGreaterThan(nc.info!.max_payload * 0.45);
});

test("a directory is not a file: bad_request", async () => {
  await expect(read("s1", "dir")).rejects.toMatchObject({ code: "bad_request", message: expect.stringContaining("is not a file") });
});
