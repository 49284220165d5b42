/**
 * Rows are decoded where they leave SQLite (DESIGN §1.5): on a real projection database, a well
 * formed row reads back typed (0/1 columns as booleans, JSON columns parsed), and a row of the wrong
 * shape fails the read with an `internal` CairnError naming the table instead of passing through.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { getNode, listNodes, openDb, queries, type Db } from "../../projections/index.ts";
import { isCairnError } from "../../schemas/index.ts";

let dir: string;
let db: Db;
let q: ReturnType<typeof queries>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cairn-rows-"));
  db = openDb(join(dir, "p.db")).db;
  q = queries(() => db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const session = (key: string) =>
  db.prepare("INSERT INTO sessions(key, title, created_at, updated_at, active_run_id) VALUES (?, '', 1, 2, 'run1')").run(key);
const toolCall = (status: string, isError: number) =>
  db
    .prepare(
      `INSERT INTO tool_calls(run_id, call_id, session_key, name, arguments, status, requested_at, iteration, is_error, truncated)
       VALUES ('run1', ?, 's1', 'exec', '{}', ?, 5, 0, ?, 1)`,
    )
    .run(`c-${status}`, status, isError);
const node = (id: string, alerts: string) =>
  db
    .prepare(
      `INSERT INTO nodes(node_id, name, fingerprint, public_key, status, hostname, platform, working_dir, alerts)
       VALUES (?, 'box', 'fp', 'pk', 'approved', 'h', 'linux-x64', '/w', ?)`,
    )
    .run(id, alerts);

/** The error a read throws, checked to be the typed "wrong shape" failure. */
const wrongShape = (read: () => unknown): string => {
  let error: unknown;
  try {
    read();
  } catch (e) {
    error = e;
  }
  expect(isCairnError(error) && error.code).toBe("internal");
  return (error as Error).message;
};

describe("rows read from the projection database", () => {
  test("well-formed rows decode to typed values", () => {
    session("s1");
    toolCall("failed", 1);
    node("n1", JSON.stringify([{ at: 3, message: "refused a key" }]));
    db.prepare(
      "INSERT INTO messages(id, session_key, seq, role, text, status, run_id, at, error) VALUES ('m1', 's1', 1, 'assistant', 'x', 'failed', 'run1', 4, ?)",
    ).run(JSON.stringify({ code: "provider_error", message: "boom" }));

    expect(q.toolCalls("s1")).toMatchObject([{ callId: "c-failed", status: "failed", isError: true, truncated: true, startedAt: null }]);
    expect(getNode(db, "n1")?.alerts).toEqual([{ at: 3, message: "refused a key" }]);
    expect(q.history("s1").messages).toEqual([
      {
        id: "m1",
        role: "assistant",
        text: "x",
        status: "failed",
        runId: "run1",
        at: 4,
        error: { code: "provider_error", message: "boom" },
      },
    ]);
    expect(q.activeSessionKeys()).toEqual(["s1"]);
  });

  test("a status the code does not know is refused, naming the table", () => {
    toolCall("exploded", 0);
    expect(wrongShape(() => q.toolCalls("s1"))).toContain("tool_calls");
  });

  test("a 0/1 column holding anything else is refused", () => {
    toolCall("finished", 7);
    wrongShape(() => q.toolCalls("s1"));
  });

  test("a JSON column that is not the JSON it should be is refused", () => {
    node("n2", "not json");
    expect(wrongShape(() => listNodes(db))).toContain("nodes");
    node("n3", JSON.stringify([{ at: "yesterday" }]));
    wrongShape(() => getNode(db, "n3"));
  });

  test("NULL where the read model promises a value is refused", () => {
    session("s2");
    // Columns are NOT NULL in the schema, so a drifted table is simulated by a query-side NULL.
    db.exec(
      `CREATE TEMP VIEW sessions AS SELECT key, NULL AS title, created_at, updated_at, message_count, active_run_id, first_user_text,
         runs, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, parent_key, fork_point, label, sandbox, deleted_at, node,
         mcp, pinned
       FROM main.sessions`,
    );
    const message = wrongShape(() => q.listSessions());
    expect(message).toContain("sessions");
    expect(message).toContain("title");
  });
});
