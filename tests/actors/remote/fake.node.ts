/**
 * A stand-in for a `cairn node` process in unit tests of the gateway side: a real NATS connection
 * speaking the node protocol (hello, in.exec → accepted → data → done as a request, in.ping,
 * in.cancel) and running commands as real `/bin/sh -c` processes in its working directory. It uses
 * the gateway's credentials (permissions are the node service's tests); what it says is the contract.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeJson, subjects } from "../../../bus/index.ts";
import type { NodeExecDone, NodeExecRequest, NodeHello, NodeTelemetry } from "../../../schemas/index.ts";
import type { TestNats } from "../../fixtures/nats.ts";

export const telemetry = (over: Partial<NodeTelemetry> = {}): NodeTelemetry => ({
  cpus: 4,
  cpuUsage: 0.25,
  memTotal: 8 * 1024 ** 3,
  memFree: 4 * 1024 ** 3,
  diskTotal: 100 * 1024 ** 3,
  diskFree: 50 * 1024 ** 3,
  uptimeSeconds: 7200,
  runtimes: { python: "3.11.2", node: "20.20.2" },
  providers: { ollama: ["llama3"], apiKeys: ["OPENAI_API_KEY"] },
  at: Date.now(),
  ...over,
});

export const hello = (nodeId: string, over: Partial<NodeHello> = {}): NodeHello => ({
  nodeId,
  name: `Node ${nodeId}`,
  version: "0.0.0-test",
  hostname: `${nodeId}.local`,
  platform: "linux",
  workingDir: "/srv/work",
  maxTimeoutSeconds: 300,
  telemetry: telemetry(),
  ...over,
});

export interface FakeNode {
  readonly nc: NatsConnection;
  readonly requests: NodeExecRequest[];
  readonly cancels: string[];
  /** Answers pings while true (false: a node that hangs, connected but silent). */
  answerPings: boolean;
  /** How many times each `done` is sent (duplicates as a retrying node would send them). */
  doneCopies: number;
  /** Replace to refuse: returns an error message instead of accepting. */
  refuse?: (req: NodeExecRequest) => string | undefined;
  /** Sends whole outputs whatever `maxOutputBytes` says (a node that does not cap). */
  ignoreCap: boolean;
  /** Acks received for `done` requests. */
  readonly acks: unknown[];
  publishHello(over?: Partial<NodeHello>): void;
  /** Vanishes: the connection closes (its subscriptions go with it), running processes are killed. */
  vanish(): Promise<void>;
}

export async function startFakeNode(nats: TestNats, nodeId: string, workDir: string): Promise<FakeNode> {
  const nc = await nats.connect(`fake-node-${nodeId}`);
  const running = new Map<string, ChildProcess>();
  const node: FakeNode = {
    nc,
    requests: [],
    cancels: [],
    acks: [],
    answerPings: true,
    doneCopies: 1,
    ignoreCap: false,
    publishHello: (over) => nc.publish(subjects.nodeOut(nodeId, "hello"), encodeJson(hello(nodeId, { workingDir: workDir, ...over }))),
    vanish: async () => {
      for (const p of running.values()) kill(p, "SIGKILL");
      await nc.close();
    },
  };
  const sendDone = async (execId: string, done: NodeExecDone) => {
    for (let i = 0; i < node.doneCopies; i++) {
      try {
        const r = await nc.request(subjects.nodeExecDone(nodeId, execId), encodeJson(done), { timeout: 1000 });
        node.acks.push(r.json());
      } catch {
        // no ack: a real node retries; the copies above stand in for that
      }
    }
  };
  nc.subscribe(subjects.nodeIn(nodeId, "ping"), {
    callback: (_e, m) => {
      if (node.answerPings) m.respond(encodeJson({ at: Date.now() }));
    },
  });
  nc.subscribe(subjects.nodeIn(nodeId, "cancel"), {
    callback: (_e, m) => {
      const { execId } = m.json() as { execId: string };
      node.cancels.push(execId);
      const p = running.get(execId);
      if (p) kill(p, "SIGTERM");
    },
  });
  nc.subscribe(subjects.nodeIn(nodeId, "exec"), {
    callback: (_e, m) => {
      const req = m.json() as NodeExecRequest;
      node.requests.push(req);
      const refused = node.refuse?.(req);
      if (refused) {
        m.respond(encodeJson({ accepted: false, error: { code: "bad_request", message: refused } }));
        return;
      }
      m.respond(encodeJson({ accepted: true }));
      const t0 = Date.now();
      const p = spawn("/bin/sh", ["-c", req.command], { cwd: workDir, env: { PATH: process.env.PATH, ...req.env }, detached: true });
      running.set(req.execId, p);
      const out = { stdout: "", stderr: "" };
      let seq = 0;
      for (const stream of ["stdout", "stderr"] as const) {
        p[stream]!.setEncoding("utf8");
        p[stream]!.on("data", (chunk: string) => {
          out[stream] += chunk;
          nc.publish(subjects.nodeExecData(nodeId, req.execId), encodeJson({ stream, chunk, seq: seq++ }));
        });
      }
      p.on("close", (code, signal) => {
        running.delete(req.execId);
        if (nc.isClosed()) return;
        const cap = (s: string) => (node.ignoreCap ? s : s.slice(0, req.maxOutputBytes));
        void sendDone(req.execId, {
          exitCode: code,
          signal: signal ?? null,
          stdout: cap(out.stdout),
          stderr: cap(out.stderr),
          truncated: out.stdout.length + out.stderr.length > req.maxOutputBytes,
          timedOut: false,
          durationMs: Date.now() - t0,
        });
      });
    },
  });
  await nc.flush();
  return node;
}

/** The whole process group: `sh -c` and what it started (a real node does the same). */
const kill = (p: ChildProcess, sig: NodeJS.Signals) => {
  try {
    process.kill(-p.pid!, sig);
  } catch {
    // already gone
  }
};
