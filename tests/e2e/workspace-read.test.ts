/**
 * The complete output of a cut exec result, through a real gateway: the tool card says the result
 * was truncated and where the whole output is (`chat.tools`), and `workspace.read` over the
 * WebSocket returns it — confined to the session's workspace like the file tools.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";

const cfg = mkdtempSync(join(tmpdir(), "cairn-wsread-cfg-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "never"\n');
// No docker engine: `auto` is bubblewrap whatever else runs on this machine.
const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: "unix:///nonexistent.sock" } });

const SEQ = `${Array.from({ length: 20_000 }, (_, i) => i + 1).join("\n")}\n`;

let ws: WsClient;
type Card = { callId: string; status: string; output: string; truncated: boolean; fullOutput: string | null; approvalId: string | null };
let card: Card;

beforeAll(async () => {
  ws = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await ws.request("connect", { protocol: 1, client: { name: "workspace-read-test" } })).toMatchObject({ ok: true });
});
afterAll(async () => {
  await ws?.close();
  rmSync(cfg, { recursive: true, force: true });
});

const read = (sessionKey: string, path: string) => ws.request("workspace.read", { sessionKey, path });

describe("a truncated exec result and its full output", () => {
  test('the banner warns that approvals are off (approval_mode = "never")', () => {
    expect(gw.output()).toMatch(/^ {2}approvals {2}never — WARNING: commands run without asking$/m);
  });

  test("the tool card is marked truncated, keeps the start of the output, and names the full-output file", async () => {
    llm.script(
      { toolCalls: [{ id: "call_seq", name: "exec", arguments: JSON.stringify({ command: "seq 1 20000" }) }] },
      { chunks: ["Counted."] },
    );
    const r = await gw.cli(["chat", "-s", "big-out", "count to 20000"]);
    expect(r.code, r.stderr).toBe(0);
    // The model got the cut result, and no approval was asked for.
    expect(r.stderr).toMatch(/^ {2}✓ exec \d+ ms \(\d+ lines, truncated\)$/m);
    expect(r.stderr).not.toMatch(/approval needed/);
    await expect
      .poll(async () => ((await ws.request("chat.tools", { sessionKey: "big-out" })).payload?.calls ?? []).map((c: Card) => c.status), {
        timeout: 10_000,
      })
      .toEqual(["finished"]);
    [card] = (await ws.request("chat.tools", { sessionKey: "big-out" })).payload.calls;
    expect(card).toMatchObject({ callId: "call_seq", status: "finished", truncated: true, approvalId: null });
    // With approvals off, the result tells the model so before the output.
    expect(card.output).toMatch(/^note: approvals are off[^\n]*\nexit code 0\nstdout:\n1\n2\n3\n/);
    // Capped well below the whole (about 106 KiB).
    expect(Buffer.byteLength(card.output)).toBeLessThan(20 * 1024);
    expect(card.output).not.toContain("\n20000");
    // Workspace-relative, so it means the same inside and outside the sandbox.
    expect(card.fullOutput).toMatch(/^\.cairn\/outputs\/[^/]+\.log$/);
  });

  test("workspace.read of that path returns the whole output, byte for byte", async () => {
    const res = await read("big-out", card.fullOutput!);
    expect(res).toMatchObject({ ok: true, payload: { truncated: false, bytes: Buffer.byteLength(SEQ) } });
    expect(res.payload.text).toBe(SEQ);
  });
});

describe("workspace.read stays inside the session's workspace", () => {
  test("a path climbing out with .. is refused with bad_request", async () => {
    const res = await read("big-out", "../../etc/passwd");
    expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(JSON.stringify(res)).not.toMatch(/root:x:0:0/);
    expect(await read("big-out", "../other-session/file.txt")).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  test("an absolute path outside the workspace is refused with bad_request", async () => {
    const res = await read("big-out", "/etc/passwd");
    expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(JSON.stringify(res)).not.toMatch(/root:x:0:0/);
  });

  test("a symlink inside the workspace that points out is refused too", async () => {
    const ws0 = join(gw.dataDir, "workspaces", "big-out");
    mkdirSync(join(ws0, "links"), { recursive: true });
    symlinkSync("/etc/passwd", join(ws0, "links", "passwd"));
    const res = await read("big-out", "links/passwd");
    expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(JSON.stringify(res)).not.toMatch(/root:x:0:0/);
  });

  test("a missing file is not_found, and so is a session without a workspace", async () => {
    expect(await read("big-out", ".cairn/outputs/nope.log")).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await read("no-such-session", "notes.md")).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  test("a file the user put in the workspace reads back; a directory is bad_request", async () => {
    writeFileSync(join(gw.dataDir, "workspaces", "big-out", "hello.txt"), "héllo\n");
    expect(await read("big-out", "hello.txt")).toMatchObject({ ok: true, payload: { text: "héllo\n", bytes: 7, truncated: false } });
    expect(await read("big-out", "links")).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  test("bad params are refused before anything is read", async () => {
    expect(await read("a.b", "x.txt")).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(await read("big-out", "")).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });
});
