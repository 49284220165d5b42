/**
 * Attachments through a real gateway's other doors: the upload endpoint (its auth and typed
 * refusals), image parts on the OpenAI-compatible API, and `cairn chat --attach`. The scripted
 * model records what reached it.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, describe, expect, test } from "vitest";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const PNG_SHA = createHash("sha256").update(PNG).digest("hex");
/** A client behind an (untrusted) forwarding header is remote: it needs a key. */
const REMOTE = { "X-Forwarded-For": "203.0.113.20" };
const files = mkdtempSync(join(tmpdir(), "cairn-attach-"));
afterAll(() => rmSync(files, { recursive: true, force: true }));

const key = async (scopes: string): Promise<string> => {
  const r = await gw.cli(["auth", "keys", "create", "--label", `k-${scopes}`, "--scopes", scopes, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { key: string }).key;
};
const upload = (body: Buffer, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/api/attachments`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream", ...headers },
    body: new Uint8Array(body),
  });

describe("attachments over HTTP, the OpenAI API and the CLI", () => {
  test("uploads need the write scope, downloads the read scope; bad files get typed errors", async () => {
    expect((await upload(PNG, REMOTE)).status).toBe(401);
    const reader = await key("operator.read");
    expect((await upload(PNG, { ...REMOTE, Authorization: `Bearer ${reader}` })).status).toBe(403);
    const writer = await key("operator.write");
    const ok = await upload(PNG, { ...REMOTE, Authorization: `Bearer ${writer}` });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ sha256: PNG_SHA, mime: "image/png", size: PNG.length, kind: "image" });

    expect((await fetch(`${gw.url}/api/attachments/${PNG_SHA}`, { headers: REMOTE })).status).toBe(401);
    const got = await fetch(`${gw.url}/api/attachments/${PNG_SHA}`, { headers: { ...REMOTE, Authorization: `Bearer ${reader}` } });
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);

    // On loopback the owner needs no key (as on the WebSocket).
    const binary = await upload(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]));
    expect(binary.status).toBe(415);
    expect(((await binary.json()) as { error: { code: string } }).error.code).toBe("attachment_unsupported");
    const huge = await upload(Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]));
    expect(huge.status).toBe(413);
    expect((await fetch(`${gw.url}/api/attachments/${"0".repeat(64)}`)).status).toBe(404);
    // Another site's page may not store files under the user's login.
    expect((await upload(PNG, { Origin: "https://evil.example" })).status).toBe(403);
  });

  test("an image part on /v1/chat/completions reaches the model as the same bytes; a remote URL is refused", async () => {
    const openai = new OpenAI({ apiKey: "unused-on-loopback", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    llm.script({ chunks: ["A dot."] });
    const reply = await openai.chat.completions.create({
      model: "cairn",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is it?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
          ],
        },
      ],
    });
    expect(reply.choices[0].message.content).toBe("A dot.");
    expect(llm.requests.at(-1)?.images).toEqual([expect.objectContaining({ mime: "image/png", sha256: PNG_SHA })]);

    const refused = openai.chat.completions.create({
      model: "cairn",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://169.254.169.254/latest" } }] }],
    });
    await expect(refused).rejects.toMatchObject({ status: 415, code: "attachment_unsupported" });
  });

  test("cairn chat --attach sends an image and a text file", async () => {
    writeFileSync(join(files, "dot.png"), PNG);
    writeFileSync(join(files, "todo.txt"), "water the plants\n");
    llm.script({ chunks: ["Noted."] });
    const r = await gw.cli(["chat", "--session", "att", "--attach", join(files, "dot.png"), "-a", join(files, "todo.txt"), "what now?"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Noted.");
    const req = llm.requests.at(-1);
    expect(req?.images).toEqual([expect.objectContaining({ mime: "image/png", sha256: PNG_SHA })]);
    expect(JSON.stringify(req?.body.messages)).toContain('<file name=\\"todo.txt\\">\\nwater the plants\\n\\n</file>');

    const missing = await gw.cli(["chat", "--session", "att", "--attach", join(files, "nope.png"), "hi"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
  });
});
