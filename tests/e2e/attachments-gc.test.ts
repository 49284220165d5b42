/**
 * `cairn attachments list|status|gc` against a real gateway process and its real files: a file a
 * live chat sent stays; a deleted chat's file goes; a deleted parent's file stays while a fork
 * copied it; an upload never sent stays within the grace period and goes after it.
 */
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();
const files = mkdtempSync(join(tmpdir(), "cairn-gc-"));
afterAll(() => rmSync(files, { recursive: true, force: true }));

const T = 120_000;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const blob = (hash: string) => join(gw.dataDir, "attachments", hash.slice(0, 2), hash);
const DAY_AGO = (Date.now() - 2 * 86_400_000) / 1000;
/** Makes a stored file look uploaded two days ago: past the default grace period. */
const age = (hash: string) => utimesSync(blob(hash), DAY_AGO, DAY_AGO);

const cli = async (args: string[]) => {
  const r = await gw.cli(args);
  expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
const json = async (args: string[]) => JSON.parse(await cli([...args, "--json"]));
const attach = async (session: string, name: string, text: string) => {
  writeFileSync(join(files, name), text);
  llm.script({ chunks: ["Noted."] });
  await cli(["chat", "--session", session, "--attach", join(files, name), `keep ${name}`]);
  return sha(text);
};
const upload = async (text: string) => {
  const r = await fetch(`${gw.url}/api/attachments`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: text,
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { sha256: string }).sha256;
};

describe("cairn attachments", () => {
  test(
    "gc removes what no live chat names and nothing uploaded within the grace period",
    async () => {
      const kept = await attach("gc-live", "kept.txt", "in a live chat\n");
      const gone = await attach("gc-gone", "gone.txt", "in a chat that will be deleted\n");
      const copied = await attach("gc-parent", "copied.txt", "in a parent a fork copied\n");
      const fork = (await json(["sessions", "fork", "gc-parent"])) as { sessionKey: string };
      await cli(["sessions", "delete", "gc-gone"]);
      await cli(["sessions", "delete", "gc-parent"]);
      const unsentOld = await upload("uploaded, never sent, long ago\n");
      const unsentNew = await upload("uploaded a moment ago, not sent yet\n");
      for (const h of [kept, gone, copied, unsentOld]) age(h);

      const status = await json(["attachments", "status"]);
      expect(status).toMatchObject({
        files: 5,
        referenced: { files: 2 },
        recent: { files: 1 },
        unreferenced: { files: 2 },
        undecodableEvents: 0,
      });
      const listed = (await json(["attachments", "list"])).files as { sha256: string; state: string; sessions: string[] }[];
      const stateOf = Object.fromEntries(listed.map((f) => [f.sha256, f.state]));
      expect(stateOf).toEqual({
        [kept]: "referenced",
        [copied]: "referenced",
        [unsentNew]: "recent",
        [gone]: "unreferenced",
        [unsentOld]: "unreferenced",
      });
      expect(listed.find((f) => f.sha256 === kept)?.sessions).toEqual(["gc-live"]);
      expect(listed.find((f) => f.sha256 === copied)?.sessions).toEqual([fork.sessionKey]);

      const dry = await json(["attachments", "gc", "--dry-run"]);
      expect(dry.dryRun).toBe(true);
      expect(dry.removed.map((f: { sha256: string }) => f.sha256).sort()).toEqual([gone, unsentOld].sort());
      for (const h of [kept, gone, copied, unsentOld, unsentNew]) expect(existsSync(blob(h)), h).toBe(true);

      const human = await cli(["attachments", "gc"]);
      expect(human).toContain("removed 2 file(s)");
      expect(human).toContain("kept 3");
      for (const h of [kept, copied, unsentNew]) expect(existsSync(blob(h)), h).toBe(true);
      for (const h of [gone, unsentOld]) expect(existsSync(blob(h)), h).toBe(false);
      // The live chat still shows its file.
      expect((await fetch(`${gw.url}/api/attachments/${kept}`)).status).toBe(200);

      // With no grace period the fresh unsent upload goes too; a second run finds nothing.
      expect((await json(["attachments", "gc", "--grace", "0s"])).removed.map((f: { sha256: string }) => f.sha256)).toEqual([unsentNew]);
      expect((await json(["attachments", "gc"])).removed).toEqual([]);
    },
    T,
  );

  test("bad options are usage errors", async () => {
    const r = await gw.cli(["attachments", "gc", "--grace", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--grace takes a number and a unit");
    expect((await gw.cli(["attachments", "list", "--dry-run"])).code).toBe(2);
    expect((await gw.cli(["attachments", "purge"])).stderr).toContain("unknown subcommand 'attachments purge'");
    expect((await gw.cli(["attachments", "--help"])).stdout).toContain("cairn attachments gc [--dry-run]");
  });
});
