import { int, parse, print } from "./args.ts";
import { nearest } from "./config/suggest.ts";
import { nodeHelp } from "./help.ts";
import { UsageError } from "./usage.ts";
import type { Paths } from "./paths.ts";

/** `cairn node …`: the commands on a machine that becomes a node, and the gateway's node admin. */

const NODE_LOCAL = ["add", "run", "status", "fingerprint", "logs", "remove"];
const NODE_GATEWAY = ["pairing", "pending", "approve", "reject", "list", "revoke"];

export async function nodeCommand(rest: string[], paths: Paths, env: NodeJS.ProcessEnv, setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(nodeHelp);
  if (!NODE_LOCAL.includes(sub) && !NODE_GATEWAY.includes(sub)) {
    const hint = nearest(sub, [...NODE_LOCAL, ...NODE_GATEWAY]);
    throw new UsageError(`unknown subcommand 'node ${sub}'${hint ? ` (did you mean 'node ${hint}'?)` : ""}; run 'cairn node --help'`);
  }
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    host: { type: "string" },
    name: { type: "string" },
    "working-dir": { type: "string" },
    timeout: { type: "string" },
    "node-id": { type: "string" },
    foreground: { type: "boolean" },
    "forget-key": { type: "boolean" },
    minutes: { type: "string" },
  });
  if (values.help) return print(nodeHelp);
  const json = Boolean(values.json);
  setJson(json);
  const str = (k: string) => values[k] as string | undefined;
  const allowed: Record<string, string[]> = {
    add: ["host", "name", "working-dir", "timeout", "node-id", "foreground"],
    remove: ["forget-key"],
    pairing: ["minutes"],
  };
  const extra = Object.keys(values).filter((k) => k !== "json" && k !== "help" && !(allowed[sub] ?? []).includes(k));
  if (extra.length > 0) throw new UsageError(`'cairn node ${sub}' does not take --${extra[0]}; run 'cairn node --help'`);
  const wantsId = sub === "approve" || sub === "reject" || sub === "revoke";
  const wantsSub = sub === "pairing";
  const expected = wantsId || wantsSub ? 1 : 0;
  if (positionals.length !== expected) {
    throw new UsageError(
      wantsId
        ? `usage: cairn node ${sub} <${sub === "revoke" ? "node-id" : "request-id"}>`
        : wantsSub
          ? "usage: cairn node pairing enable [--minutes <n>] | disable | status"
          : `'cairn node ${sub}' takes no arguments; got '${positionals.join(" ")}'`,
    );
  }
  if (NODE_LOCAL.includes(sub)) {
    const cmd = await import("./commands/node.agent.ts");
    if (sub === "add") {
      return await cmd.nodeAdd(
        {
          host: str("host"),
          name: str("name"),
          workingDir: str("working-dir"),
          timeout: int(str("timeout"), "--timeout", 1),
          nodeId: str("node-id"),
          foreground: Boolean(values.foreground),
          json,
        },
        paths,
        env,
      );
    }
    if (sub === "run") return await cmd.nodeRun({ json }, paths, env);
    if (sub === "status") return cmd.nodeStatus({ json }, paths, env);
    if (sub === "fingerprint") return cmd.nodeFingerprint({ json }, paths);
    if (sub === "logs") return cmd.nodeLogs({ json }, paths);
    return cmd.nodeRemove({ forgetKey: Boolean(values["forget-key"]), json }, paths, env);
  }
  const admin = await import("./commands/node.admin.ts");
  if (sub === "pairing") {
    const verb = positionals[0];
    if (verb !== "enable" && verb !== "disable" && verb !== "status")
      throw new UsageError("usage: cairn node pairing enable [--minutes <n>] | disable | status");
    if (verb !== "enable" && values.minutes !== undefined) throw new UsageError("--minutes goes with 'pairing enable'");
    return await admin.nodePairing(verb, { minutes: int(str("minutes"), "--minutes", 1), json }, paths);
  }
  if (sub === "pending") return await admin.nodePending({ json }, paths);
  if (sub === "list") return await admin.nodeList({ json }, paths);
  if (sub === "approve") return await admin.nodeApprove({ id: positionals[0], json }, paths);
  if (sub === "reject") return await admin.nodeReject({ id: positionals[0], json }, paths);
  return await admin.nodeRevoke({ id: positionals[0], json }, paths);
}
