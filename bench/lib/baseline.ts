/**
 * The machine's own floor for the latency figures: the round trip of a few bytes between this
 * process and a second Node process over loopback TCP, back to back and after 50 ms of idleness.
 * The streamed-token path crosses four such process hops (provider → gateway → nats-server →
 * gateway → client), so twice this round trip is roughly what the OS alone costs.
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { sleep, summarize, wallClockMs, type Cleanup, type Summary } from "./util.ts";

const ECHO = `require("net").createServer((s) => { s.setNoDelay(true); s.on("data", (d) => s.write(d)); }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`;

export interface Baseline {
  busyRttMs: Summary;
  idleRttMs: Summary;
}

export async function runBaseline(o: { pings: number; idlePings: number; cleanup: Cleanup }): Promise<Baseline> {
  const child = spawn(process.execPath, ["-e", ECHO], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = o.cleanup.add("echo process", () => void child.kill("SIGKILL"));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once("data", (d) => resolve(Number(String(d).trim())));
      child.once("exit", (code) => reject(new Error(`echo process exited (${code})`)));
    });
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const ping = () =>
      new Promise<number>((resolve) => {
        const t0 = wallClockMs();
        socket.once("data", () => resolve(wallClockMs() - t0));
        socket.write("x");
      });
    for (let i = 0; i < 20; i++) await ping();
    const busy: number[] = [];
    for (let i = 0; i < o.pings; i++) busy.push(await ping());
    const idle: number[] = [];
    for (let i = 0; i < o.idlePings; i++) {
      await sleep(50);
      idle.push(await ping());
    }
    socket.destroy();
    return { busyRttMs: summarize(busy), idleRttMs: summarize(idle) };
  } finally {
    await stop();
  }
}
