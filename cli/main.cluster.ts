import { int, parse, print } from "./args.ts";
import { clusterHelp } from "./help.ts";
import { UsageError } from "./usage.ts";

/** `cairn cluster init|status <dir>`: a NATS cluster's files for several gateways. */
export async function clusterCommand(rest: string[], setJson: (j: boolean) => void): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") return print(clusterHelp);
  if (sub !== "init" && sub !== "status")
    throw new UsageError(`unknown subcommand 'cluster ${sub}'; try 'cairn cluster init <dir>' or 'cairn cluster status <dir>'`);
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    servers: { type: "string" },
    host: { type: "string" },
    "client-port": { type: "string" },
    "cluster-port": { type: "string" },
  });
  if (values.help) return print(clusterHelp);
  const json = Boolean(values.json);
  setJson(json);
  if (positionals.length !== 1) throw new UsageError(`usage: cairn cluster ${sub} <dir> (run 'cairn cluster --help')`);
  const cmd = await import("./commands/cluster.ts");
  if (sub === "status") {
    const extra = Object.keys(values).filter((k) => k !== "json");
    if (extra.length > 0) throw new UsageError(`'cairn cluster status' does not take --${extra[0]}`);
    return await cmd.clusterStatus({ dir: positionals[0], json });
  }
  const servers = int(values.servers as string | undefined, "--servers", 2);
  if (servers !== undefined && servers > 9) throw new UsageError(`--servers must be at most 9, got ${servers}`);
  return await cmd.clusterInit({
    dir: positionals[0],
    servers,
    host: values.host as string | undefined,
    clientPort: int(values["client-port"] as string | undefined, "--client-port", 1),
    clusterPort: int(values["cluster-port"] as string | undefined, "--cluster-port", 1),
    json,
  });
}
