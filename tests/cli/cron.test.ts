import { describe, expect, it } from "vitest";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";

/** Polls `cairn cron runs --json` until `until` holds (real time: the job's own short interval). */
async function runsUntil(gw: ReturnType<typeof useGatewayWithLlm>["gw"], name: string, until: (runs: any[]) => boolean) {
  for (let i = 0; i < 60; i++) {
    const r = await gw.cli(["cron", "runs", name, "--json"]);
    const runs = jsonLines(r.stdout);
    if (until(runs)) return runs;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`cron ${name} never got there`);
}

describe("cairn cron, end to end against a real gateway and the scripted LLM", () => {
  const { gw } = useGatewayWithLlm();

  it("add --every 2s: the job runs on its own, in real time, as an agent turn in session cron-<name>", async () => {
    const add = await gw.cli(["cron", "add", "--name", "pulse", "--every", "2s", "--prompt", "say hi", "--json"]);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const created = JSON.parse(add.stdout);
    expect(created).toMatchObject({ name: "pulse", session: "cron-pulse", enabled: true, catchUp: "run_once" });
    const runs = await runsUntil(gw, "pulse", (rs) => rs.filter((r) => r.status === "completed").length >= 2);
    const done = runs.filter((r) => r.status === "completed");
    // Slots are the schedule's, 2 s apart from the job's anchor; each has its own run.
    expect(new Set(done.map((r) => r.runId)).size).toBe(done.length);
    expect((done[0].slot - created.schedule.anchor) % 2000).toBe(0);
    expect(done[0].outputTokens).toBeGreaterThan(0);
    const off = await gw.cli(["cron", "disable", "pulse"]);
    expect(off.code).toBe(0);
    const history = await gw.cli(["sessions", "show", "cron-pulse", "--json"]);
    expect(history.code).toBe(0);
  });

  it("list, show, run now, enable/disable, remove — human and --json", async () => {
    const add = await gw.cli([
      "cron",
      "add",
      "--name",
      "weekday",
      "--cron",
      "0 9 * * 1-5",
      "--tz",
      "Europe/Berlin",
      "--prompt",
      "plan my day",
    ]);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/weekday: cron "0 9 \* \* 1-5" Europe\/Berlin, next run /);
    const list = await gw.cli(["cron", "list"]);
    expect(list.stdout).toMatch(/weekday\s+cron "0 9 \* \* 1-5" Europe\/Berlin\s+yes/);
    const now = await gw.cli(["cron", "run", "weekday"]);
    expect(now.stdout).toMatch(/running now in session cron-weekday/);
    const runs = await runsUntil(gw, "weekday", (rs) => rs.some((r) => r.manual && r.status === "completed"));
    expect(runs).toHaveLength(1);
    const show = await gw.cli(["cron", "show", "weekday"]);
    expect(show.stdout).toMatch(/catch-up\s+run_once/);
    expect(show.stdout).toMatch(/completed/);
    expect((await gw.cli(["cron", "disable", "weekday", "--json"])).stdout).toMatch(/"enabled":false/);
    const shown = JSON.parse((await gw.cli(["cron", "show", "weekday", "--json"])).stdout);
    expect(shown.job).toMatchObject({ enabled: false, nextAt: null, runs: 1 });
    expect((await gw.cli(["cron", "enable", "weekday"])).stdout).toMatch(/weekday enabled, next run/);
    expect((await gw.cli(["cron", "remove", "weekday"])).stdout).toBe("weekday removed\n");
    const after = await gw.cli(["cron", "list", "--json"]);
    expect(jsonLines(after.stdout).map((j) => j.name)).not.toContain("weekday");
  });

  it("edit: changes what is given (one cron.job.updated), shows how the runs act; default goes back to the configured", async () => {
    expect((await gw.cli(["cron", "add", "--name", "ed", "--every", "1h", "--prompt", "first", "--sandbox", "bubblewrap"])).code).toBe(0);
    const before = JSON.parse((await gw.cli(["cron", "show", "ed", "--json"])).stdout).job;
    const r = await gw.cli(["cron", "edit", "ed", "--prompt", "second", "--approval-mode", "always"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^ed: every 3600s, next run .*, sandbox bubblewrap, approvals always\n$/);
    const show = await gw.cli(["cron", "show", "ed"]);
    expect(show.stdout).toMatch(/runs with\s+sandbox bubblewrap, approvals always/);
    expect(show.stdout).toMatch(/prompt\s+second/);
    // The schedule was not given, so it kept its anchor and next slot.
    const after = JSON.parse((await gw.cli(["cron", "show", "ed", "--json"])).stdout).job;
    expect(after).toMatchObject({ schedule: before.schedule, nextAt: before.nextAt, sandbox: "bubblewrap", approvalMode: "always" });
    expect((await gw.cli(["cron", "edit", "ed", "--sandbox", "default", "--json"])).stdout).toMatch(/"sandbox":null/);
    expect((await gw.cli(["cron", "list"])).stdout).toMatch(/ed\s+every 3600s\s+yes\s+.*\s+-\s+always\n/);
    const events = jsonLines((await gw.cli(["events", "tail", "--json", "-n", "1000"])).stdout).filter(
      (e) => e.kind === "cron" && e.id === "ed",
    );
    expect(events.map((e) => e.type)).toEqual(["cron.job.created", "cron.job.updated", "cron.job.updated"]);
    await gw.cli(["cron", "remove", "ed"]);
  });

  it.each([
    [["cron", "edit", "ed2"], /nothing to change/, 2],
    [["cron", "edit", "nobody", "--prompt", "p"], /no cron job named 'nobody'/, 1],
    [["cron", "add", "--name", "x", "--every", "1h", "--prompt", "p", "--sandbox", "vm"], /--sandbox is one of/, 2],
    [["cron", "add", "--name", "x", "--cron", "0 25 * * *", "--prompt", "p"], /bad cron expression/, 2],
    [
      ["cron", "add", "--name", "x", "--cron", "0 9 * * *", "--tz", "Mars/Olympus", "--prompt", "p"],
      /unknown time zone 'Mars\/Olympus'/,
      2,
    ],
    [["cron", "add", "--name", "x", "--at", "2001-01-01T00:00Z", "--prompt", "p"], /in the past/, 2],
    [["cron", "add", "--name", "x", "--every", "5 minutes", "--prompt", "p"], /--every takes an interval/, 2],
    [["cron", "add", "--name", "x", "--every", "5m", "--cron", "* * * * *", "--prompt", "p"], /exactly one schedule/, 2],
    [["cron", "show", "nobody"], /no cron job named 'nobody'/, 1],
    [["cron", "disable", "nobody"], /no cron job named 'nobody'/, 1],
    [["cron", "frobnicate"], /unknown subcommand 'cron frobnicate'/, 2],
    // A refused request (bad_request) exits 2 like a usage error; a missing job exits 1.
  ])("%j fails clearly", async (args, message, code) => {
    const r = await gw.cli(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it("--json errors carry the stable code", async () => {
    const r = await gw.cli(["cron", "show", "nobody", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/cron_job_not_found/);
  });

  it("--help", async () => {
    const r = await gw.cli(["cron", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--catch-up <p>/);
  });
});
