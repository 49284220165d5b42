/**
 * Attachments in a real browser against a real gateway process and the scripted LLM server: an
 * image dropped and a text file pasted into the composer reach the model (the image as an
 * `image_url` part with its exact bytes, the file's text in the message), the chat shows a
 * thumbnail and a file chip, and a reload shows them again from the history. A model the
 * catalogue knows is blind refuses images with a typed error; a binary file is refused on its chip.
 */
import { createHash } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { connectWs } from "../fixtures/ws-client.ts";
import {
  launchBrowser,
  newChat,
  oneTab,
  openApp,
  resetBrowserRecords,
  sessionKeyOf,
  settledReply,
  shoot,
  startAll,
  typeAndSend,
  until,
  type Browser,
} from "./browser.helpers.ts";

const T = 120_000;
/** A 1×1 red PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const NOTES = "# Shopping\n- eggs\n- flour\n";

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(startGatewayProc({ llmBaseUrl: llm.url }), launchBrowser());
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
}, 60_000);

beforeEach(() => {
  llm.reset();
  resetBrowserRecords(browser);
});

const gatewayLog = () => `\n--- gateway output ---\n${gw.output().slice(-4000)}`;

/** Drops files on the composer as a file manager would (a DataTransfer with File objects). */
const drop = (page: Page, files: { name: string; type: string; base64: string }[]) =>
  page.locator("form.composer").evaluate((form, files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    form.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    form.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);

/** Pastes a file into the message box, as a clipboard holding a copied file delivers it. */
const paste = (page: Page, file: { name: string; type: string; text: string }) =>
  page.getByTestId("chat-input").evaluate((el, f) => {
    const dt = new DataTransfer();
    dt.items.add(new File([f.text], f.name, { type: f.type }));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  }, file);

const fileStates = (page: Page) => page.getByTestId("composer-file").evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));

/** What the chat shows of sent files: kind, and for images whether the thumbnail really loaded. */
const shownFiles = (page: Page) =>
  page.getByTestId("message-file").evaluateAll((els) =>
    els.map((e) => ({
      kind: e.getAttribute("data-kind"),
      text: (e.textContent ?? "").trim(),
      loaded: (e.querySelector("img") as HTMLImageElement | null)?.naturalWidth ?? null,
    })),
  );

/** Sends the open edit and waits for its new branch to be the open chat. */
async function sendEditInBranch(page: Page): Promise<void> {
  const before = sessionKeyOf(page);
  await page.getByTestId("edit-send").click();
  await until(
    "the new branch open",
    async () => sessionKeyOf(page),
    (k) => k !== null && k !== before,
  );
}

describe("attachments in the browser", () => {
  test(
    "a dropped image and a pasted text file reach the model; the chat and a reload show them",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await drop(page, [{ name: "dot.png", type: "image/png", base64: PNG.toString("base64") }]);
      await paste(page, { name: "notes.md", type: "text/markdown", text: NOTES });
      await until(
        "both files uploaded",
        () => fileStates(page),
        (s) => s.length === 2 && s.every((x) => x === "ready"),
      );
      await shoot(page, "attachments-composer");

      llm.script({ chunks: ["A red dot and a shopping list."] });
      await typeAndSend(page, "What are these?");
      const reply = await settledReply(page, 1, 60_000);
      expect(reply.status, gatewayLog()).toBe("complete");

      const req = llm.requests.find((r) => r.path.endsWith("/chat/completions"));
      expect(req, gatewayLog()).toBeDefined();
      // The exact bytes, as an image_url data-URL part of the user's message.
      expect(req?.images).toEqual([
        expect.objectContaining({ mime: "image/png", sha256: createHash("sha256").update(PNG).digest("hex"), bytes: PNG.length }),
      ]);
      const user = req?.body.messages.find((m: { role: string }) => m.role === "user");
      const text = user.content.find((p: { type: string }) => p.type === "text").text as string;
      expect(text).toContain("What are these?");
      expect(text).toContain(`<file name="notes.md">\n${NOTES}\n</file>`);

      // The composer is empty again; the sent message shows a thumbnail that loaded and a file chip.
      expect(await page.getByTestId("composer-file").count()).toBe(0);
      const files = await until(
        "the thumbnail to load",
        () => shownFiles(page),
        (f) => f.length === 2 && (f[0].loaded ?? 0) > 0,
      );
      expect(files.map((f) => f.kind)).toEqual(["image", "text"]);
      expect(files[1].text).toContain("notes.md");
      await shoot(page, "attachments-sent");
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, "attachments-sent-dark");
      await page.emulateMedia({ colorScheme: "light" });

      await page.reload();
      await until(
        "the files back after a reload",
        () => shownFiles(page),
        (f) => f.length === 2 && (f[0].loaded ?? 0) > 0,
      );
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );

  test(
    "a binary file is refused on its chip; images for a blind model are refused with model_no_vision",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      llm.script({ chunks: ["ok"] });
      await typeAndSend(page, "hello");
      await settledReply(page, 1, 60_000);

      await drop(page, [
        { name: "tool.bin", type: "application/octet-stream", base64: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]).toString("base64") },
      ]);
      await until(
        "the binary refused",
        () => fileStates(page),
        (s) => s.length === 1 && s[0] === "failed",
      );
      expect(await page.getByTestId("composer-file").textContent()).toContain("only images");
      await page.getByRole("button", { name: "Remove tool.bin" }).click();

      // gpt-3.5-turbo takes no images (the catalogue says so): the send is refused before anything is written.
      const ws = await connectWs(`${new URL(gw.url).origin}/ws`);
      try {
        expect(await ws.request("connect", { protocol: 1, client: { name: "attachments-test" } })).toMatchObject({ ok: true });
        const set = await ws.request("sessions.setModel", { sessionKey: sessionKeyOf(page), model: "openai/gpt-3.5-turbo" });
        expect(set, gatewayLog()).toMatchObject({ ok: true });
      } finally {
        await ws.close();
      }
      await drop(page, [{ name: "dot.png", type: "image/png", base64: PNG.toString("base64") }]);
      await until(
        "the image uploaded",
        () => fileStates(page),
        (s) => s.length === 1 && s[0] === "ready",
      );
      await typeAndSend(page, "and this?");
      const error = page.locator('[data-testid="error"][data-code="model_no_vision"]');
      await until(
        "the model_no_vision error",
        () => error.count(),
        (n) => n === 1,
      );
      expect(await error.textContent()).toContain("gpt-3.5-turbo does not accept images");
      // Nothing was sent to the model, and the image waits in the composer for another try.
      expect(llm.requests.filter((r) => r.path.endsWith("/chat/completions")).length).toBe(1);
      expect(await fileStates(page)).toEqual(["ready"]);
      await shoot(page, "attachments-no-vision");
    },
    T,
  );

  test(
    "editing a sent message keeps its files unless removed; a message queued while a reply streams keeps its files",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url);
      await newChat(page);
      const sha = createHash("sha256").update(PNG).digest("hex");
      const chatRequests = () => llm.requests.filter((r) => r.path.endsWith("/chat/completions"));
      const ready = (n: number) =>
        until(
          `${n} file(s) uploaded`,
          () => fileStates(page),
          (s) => s.length === n && s.every((x) => x === "ready"),
        );

      // Queued while the first reply streams: the text and the image wait together, then go together.
      llm.script({ chunks: Array.from({ length: 30 }, (_, i) => `w${i} `), chunkDelayMs: 150 }, { chunks: ["Queued answer."] });
      await typeAndSend(page, "first");
      await until(
        "the reply streaming",
        () => page.getByTestId("stop").count(),
        (n) => n === 1,
      );
      await drop(page, [{ name: "dot.png", type: "image/png", base64: PNG.toString("base64") }]);
      await ready(1);
      await typeAndSend(page, "and this picture");
      expect(await page.getByTestId("queued").textContent()).toContain("and this picture");
      expect(await page.getByTestId("queued-files").textContent()).toContain("1 file");
      expect(await page.getByTestId("composer-file").count()).toBe(0);
      await shoot(page, "attachments-queued");
      // Taken back into the box, the message brings its file back too; queued again as it was.
      await page.getByTestId("unqueue").click();
      expect(await page.getByTestId("chat-input").inputValue()).toBe("and this picture");
      expect(await fileStates(page)).toEqual(["ready"]);
      await page.getByTestId("chat-input").press("Enter");
      expect((await settledReply(page, 2, 60_000)).text, gatewayLog()).toBe("Queued answer.");
      expect(chatRequests().at(-1)?.images, gatewayLog()).toEqual([expect.objectContaining({ sha256: sha })]);
      const userFiles = page.locator('[data-testid="message"][data-role="user"]').nth(1).getByTestId("message-file");
      expect(await userFiles.count()).toBe(1);

      // Edit: the editor lists the file; sent as it is, the branch's message carries it again.
      llm.script({ chunks: ["Edited, with the picture."] });
      const second = page.locator('[data-testid="message"][data-role="user"]').nth(1);
      await second.getByTestId("edit-message").click();
      expect(await page.getByTestId("edit-file").allTextContents()).toEqual([expect.stringContaining("dot.png")]);
      await shoot(page, "attachments-edit");
      await page.getByTestId("edit-input").fill("and this picture, edited");
      await sendEditInBranch(page);
      expect((await settledReply(page, 2, 60_000)).text, gatewayLog()).toBe("Edited, with the picture.");
      const edited = chatRequests().at(-1);
      expect(edited?.images, gatewayLog()).toEqual([expect.objectContaining({ sha256: sha })]);
      expect(await page.locator('[data-testid="message"][data-role="user"]').nth(1).getByTestId("message-file").count()).toBe(1);

      // Edit again and remove the file: the edited message goes without it.
      llm.script({ chunks: ["No picture this time."] });
      await page.locator('[data-testid="message"][data-role="user"]').nth(1).getByTestId("edit-message").click();
      await page.getByRole("button", { name: "Remove dot.png" }).click();
      expect(await page.getByTestId("edit-file").count()).toBe(0);
      await sendEditInBranch(page);
      expect((await settledReply(page, 2, 60_000)).text, gatewayLog()).toBe("No picture this time.");
      expect(chatRequests().at(-1)?.images ?? [], gatewayLog()).toEqual([]);
      expect(await page.locator('[data-testid="message"][data-role="user"]').nth(1).getByTestId("message-file").count()).toBe(0);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
