/**
 * A stand-in gateway for cgroup.cleanup.test.ts: opens one command cgroup, puts a long `sleep`
 * (the stand-in command, a `none`-backend process that would outlive its gateway) in it, prints
 * the group's directories and the sleep's pid, then waits to be killed -9.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { openCommandCgroup } from "../../../actors/sandbox/cgroup.limits.ts";

const cg = openCommandCgroup(`child-${process.argv[2]}`, { pids: 64, memoryMb: 64 });
if (!cg) {
  process.stdout.write("NO-CGROUP\n");
  process.exit(0);
}
const sleep = spawn("sleep", [process.argv[3] ?? "600"], { detached: true, stdio: "ignore" });
for (const f of cg.procsFiles) fs.writeFileSync(f, String(sleep.pid));
sleep.unref();
process.stdout.write(`${JSON.stringify({ dirs: cg.procsFiles.map((f) => f.replace(/\/cgroup\.procs$/, "")), sleep: sleep.pid })}\n`);
setInterval(() => {}, 1_000);
