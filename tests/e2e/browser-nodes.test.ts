/**
 * Nodes in the web UI, in a real browser against a real gateway process and a real node process
 * (its own HOME and data dir, pairing over HTTP, then joining NATS with its own key): the pairing
 * window opened from the page, the request approved there after comparing fingerprints, the node
 * online with telemetry, picked in a chat's node selector (kept after a reload), a command the
 * agent runs there marked on its card, and a revocation seen on the page.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startNodeProc, type NodeProc } from "../fixtures/node.ts";
import {
  launchBrowser,
  newChat,
  oneTab,
  openApp,
  openHeaderMenu,
  settledReply,
  typeAndSend,
  until,
  type Browser,
  startAll,
} from "./browser.helpers.ts";

const T = 120_000;

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;
const nodes: NodeProc[] = [];

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(startGatewayProc({ llmBaseUrl: llm.url }), launchBrowser());
  [gw, browser] = started;
  if (failure) throw failure;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.dispose()));
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
}, 60_000);

const logs = () =>
  `\n--- gateway output ---\n${gw.output().slice(-3000)}\n--- node output ---\n${nodes.map((n) => n.output().slice(-3000)).join("\n")}`;

type PendingRow = { nodeId: string | null; requestId: string | null; name: string; fingerprint: string };
const pendingRows = (page: Page): Promise<PendingRow[]> =>
  page.getByTestId("pending-node").evaluateAll((els) =>
    els.map((el) => ({
      nodeId: el.getAttribute("data-node-id"),
      requestId: el.getAttribute("data-request-id"),
      name: el.querySelector('[data-testid="pending-node-name"]')?.textContent?.trim() ?? "",
      fingerprint: el.querySelector('[data-testid="pending-node-fingerprint"]')?.textContent?.trim() ?? "",
    })),
  );

type NodeRow = {
  nodeId: string | null;
  status: string | null;
  online: string | null;
  presence: string;
  telemetry: string | null;
  fingerprint: string;
  alerts: string | null;
};
const nodeRows = (page: Page): Promise<NodeRow[]> =>
  page.getByTestId("node-card").evaluateAll((els) =>
    els.map((el) => ({
      nodeId: el.getAttribute("data-node-id"),
      status: el.getAttribute("data-status"),
      online: el.getAttribute("data-online"),
      presence: el.querySelector('[data-testid="node-presence"]')?.textContent?.trim() ?? "",
      telemetry: el.querySelector('[data-testid="node-telemetry"]')?.textContent?.replace(/\s+/g, " ").trim() ?? null,
      fingerprint: el.querySelector('[data-testid="node-fingerprint"]')?.textContent?.trim() ?? "",
      alerts: el.querySelector('[data-testid="node-alerts"]')?.textContent?.replace(/\s+/g, " ").trim() ?? null,
    })),
  );

const nodeRow = async (page: Page, nodeId: string) => (await nodeRows(page)).find((r) => r.nodeId === nodeId);

describe("nodes page", () => {
  test(
    "a node is paired from the page, used by a chat and revoked",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/nodes");

      // Closed by default; the empty state tells how to add a node, with this gateway's address.
      await until(
        "the pairing window closed",
        () => page.getByTestId("pairing-window").getAttribute("data-open"),
        (v) => v === "false",
      );
      await page.getByTestId("nodes-tab-pending").click();
      expect(await page.getByTestId("node-add-command").textContent()).toContain(`--host ${gw.url}`);
      await page.getByTestId("pairing-open").click();
      await until(
        "the pairing window open",
        () => page.getByTestId("pairing-window").getAttribute("data-open"),
        (v) => v === "true",
      );
      expect(await page.getByTestId("pairing-countdown").textContent()).toMatch(/^(10:00|9:[0-5]\d)$/);

      const node = await startNodeProc({ host: gw.url, name: "Build Server" });
      nodes.push(node);
      const fingerprint = await node.fingerprint();
      expect(fingerprint, logs()).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

      // The request shows in Pending (the page polls) with the fingerprint the node printed.
      const [req] = await until(
        "the pairing request in Pending",
        () => pendingRows(page),
        (rs) => rs.length === 1,
        30_000,
      );
      expect(req.name).toBe("Build Server");
      expect(req.fingerprint).toBe(fingerprint);
      const nodeId = req.nodeId as string;

      await page.getByTestId("node-approve").click();
      await until(
        "the request gone from Pending",
        () => pendingRows(page),
        (rs) => rs.length === 0,
      );
      await page.getByTestId("nodes-tab-nodes").click();
      const online = await until(
        "the node online with telemetry",
        () => nodeRow(page, nodeId),
        (r) => r?.online === "true" && r.telemetry !== null,
        30_000,
      );
      expect(online?.status, logs()).toBe("approved");
      expect(online?.presence).toBe("online");
      expect(online?.fingerprint).toBe(fingerprint);
      expect(online?.telemetry).toMatch(/\d+ CPUs? · \d+%/);
      expect(online?.telemetry).toMatch(/free of/);

      // Another machine claiming this node's id with another key is refused, and the page says so loudly.
      const impostor = await startNodeProc({ host: gw.url, name: "Build Server", nodeId });
      nodes.push(impostor);
      expect(await impostor.exited, impostor.output()).not.toBe(0);
      const alerted = await until(
        "a key-mismatch alert on the node",
        () => nodeRow(page, nodeId),
        (r) => !!r?.alerts,
        30_000,
      );
      expect(alerted?.alerts).toMatch(/key|fingerprint/i);
      expect(alerted?.online).toBe("true");

      // The chat header routes this chat's commands to the node; the choice is back after a reload.
      await page.goto(`${gw.url}/#/`);
      await newChat(page);
      const chatHash = new URL(page.url()).hash;
      const select = page.getByTestId("node-select");
      await until(
        "the node offered in the selector",
        () => select.locator("option").allTextContents(),
        (o) => o.includes("Build Server"),
      );
      await openHeaderMenu(page); // the node picker is a secondary control, in the ⋯ menu
      await select.selectOption(nodeId);
      await until(
        "the node chosen",
        () => page.getByTestId("node-badge").getAttribute("data-node"),
        (v) => v === nodeId,
      );
      await page.reload();
      await until(
        "the node still chosen after a reload",
        () => select.inputValue(),
        (v) => v === nodeId,
      );

      // A command the agent runs is marked with the node it ran on.
      llm.script({ chunks: [], toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "ls" }) }] }, { chunks: ["Listed."] });
      await typeAndSend(page, "list the files");
      expect((await settledReply(page)).status, logs()).toBe("complete");
      const card = page.locator('[data-testid="tool-card"][data-tool="exec"]');
      const result = await card.getByTestId("tool-output").textContent({ timeout: 10_000 });
      expect(result, logs()).toMatch(/^ran on node Build Server/);
      const badge = card.getByTestId("tool-node");
      expect(await badge.textContent()).toContain("Build Server");
      expect(await badge.getAttribute("title")).toContain(nodeId);

      // Revoked from the page: disconnected, marked revoked, no longer offered for new routes.
      await page.goto(`${gw.url}/#/nodes`);
      await page.getByTestId("nodes-tab-nodes").click();
      await page.locator(`[data-testid="node-card"][data-node-id="${nodeId}"] [data-testid="node-revoke"]`).click();
      await page.getByTestId("node-revoke-confirm").click();
      const revoked = await until(
        "the node revoked and offline",
        () => nodeRow(page, nodeId),
        (r) => r?.status === "revoked" && r.online === "false",
      );
      expect(revoked?.presence).toBe("revoked");

      // Done pairing: the window is closed from the page too.
      await page.getByTestId("pairing-close").click();
      await until(
        "the pairing window closed again",
        () => page.getByTestId("pairing-window").getAttribute("data-open"),
        (v) => v === "false",
      );

      // The chat still pinned to it is flagged by the doctor panel, and its selector says so
      // instead of pretending the commands run locally.
      await page.getByRole("button", { name: "Check again" }).click();
      await until(
        "the doctor flagging the chat pinned to a revoked node",
        () => page.getByTestId("doctor-problems").textContent({ timeout: 5_000 }),
        (t) => !!t && t.includes(nodeId) && t.includes("revoked"),
      );
      expect(await page.locator('[data-testid="doctor-problems"] .hint').first().textContent()).not.toBe("");
      await page.goto(`${gw.url}/${chatHash}`);
      await until(
        "the revoked node marked in the selector",
        () => select.locator("option:checked").textContent(),
        (t) => t === "Build Server (revoked)",
      );
      expect(await select.locator(`option[value="${nodeId}"]`).isDisabled()).toBe(true);

      expect(browser.pageErrors).toEqual([]);
      expect(browser.dialogs).toEqual([]);
    },
    T,
  );

  test(
    "a pairing request rejected from the page is gone and the node is told",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/nodes");
      const shown = await until(
        "the pairing window's state",
        () => page.getByTestId("pairing-window").getAttribute("data-open"),
        (v) => v === "true" || v === "false",
      );
      if (shown === "false") await page.getByTestId("pairing-open").click();
      await until(
        "the pairing window open",
        () => page.getByTestId("pairing-window").getAttribute("data-open"),
        (v) => v === "true",
      );
      const node = await startNodeProc({ host: gw.url, name: "Stranger" });
      nodes.push(node);
      const fingerprint = await node.fingerprint();
      await page.getByTestId("nodes-tab-pending").click();
      const [req] = await until(
        "the request in Pending",
        () => pendingRows(page),
        (rs) => rs.some((r) => r.name === "Stranger"),
        30_000,
      );
      expect(req.fingerprint).toBe(fingerprint);
      await page.getByTestId("node-reject").click();
      await until(
        "the request gone from Pending",
        () => pendingRows(page),
        (rs) => rs.length === 0,
      );
      expect(await node.exited, node.output()).not.toBe(0);
      expect(node.output()).toMatch(/rejected/);
      expect((await nodeRows(page)).map((r) => r.nodeId)).not.toContain(req.nodeId);
      expect(browser.pageErrors).toEqual([]);
    },
    T,
  );
});
