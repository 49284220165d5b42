import { checkKey, findProvider, keyedProvider, last4, listProviders, lookupKey } from "../../actors/llm/index.ts";
import { requestAs, subjects } from "../../bus/index.ts";
import { CairnError, ListProvidersResult, isCairnError, type ProviderStatus } from "../../schemas/index.ts";
import { loadSettings } from "../config/index.ts";
import { connectToGateway } from "../connect.ts";
import { providerModelSetup } from "../gateway/providers.setup.ts";
import { EXIT_FAILED, table } from "../output.ts";
import type { Paths } from "../paths.ts";

/** Discovery may wait on several slow providers; more than a query's usual time. */
export const LIST_TIMEOUT_MS = 30_000;

/**
 * Asks the running gateway (it knows its own environment's keys), or computes the same answer in
 * this process when no gateway runs (or it predates the service): from the config, this shell's
 * environment, the stored keys and the discovery cache.
 */
export async function fromGatewayOrLocal<T>(
  paths: Paths,
  remote: (nc: Awaited<ReturnType<typeof connectToGateway>>) => Promise<T>,
  local: () => Promise<T>,
): Promise<{ value: T; local: boolean }> {
  let nc: Awaited<ReturnType<typeof connectToGateway>>;
  try {
    nc = await connectToGateway(paths);
  } catch (e) {
    if (isCairnError(e) && e.code === "unavailable") return { value: await local(), local: true };
    throw e;
  }
  try {
    return { value: await remote(nc), local: false };
  } catch (e) {
    // "nothing is serving q.models.list": a gateway without the provider services.
    if (isCairnError(e) && e.code === "unavailable") return { value: await local(), local: true };
    throw e;
  } finally {
    await nc.close();
  }
}

export const localSetup = (paths: Paths, env: NodeJS.ProcessEnv) => providerModelSetup(loadSettings(paths.configFile, env), paths, env);

/** `cairn providers [list] [--json] [--refresh]` */
export async function providersList(o: { json: boolean; refresh: boolean }, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const { value, local } = await fromGatewayOrLocal(
    paths,
    (nc) =>
      requestAs(nc, subjects.query("providers", "list"), o.refresh ? { refresh: true } : {}, ListProvidersResult, {
        timeoutMs: LIST_TIMEOUT_MS,
      }),
    () => listProviders(localSetup(paths, env), o.refresh),
  );
  if (o.json) {
    process.stdout.write(`${JSON.stringify(value)}\n`);
    return 0;
  }
  const rows = value.providers.map((p) => [
    p.id,
    keyCell(p),
    p.reachable === null ? "-" : p.reachable ? "yes" : "no",
    String(p.models),
    noteCell(p),
  ]);
  process.stdout.write(table([["PROVIDER", "KEY", "REACHABLE", "MODELS", "NOTE"], ...rows]));
  if (local) process.stdout.write("(no gateway is running: keys and settings as this shell sees them)\n");
  return 0;
}

const keyCell = (p: ProviderStatus): string => {
  if (p.key.source === "none") return p.key.required ? "missing" : "not needed";
  return p.key.last4 ? `${p.key.source} …${p.key.last4}` : p.key.source;
};

const noteCell = (p: ProviderStatus): string => {
  if (p.error) return p.error.message;
  if (p.key.required && p.key.source === "none") return `set ${p.keyVariable} or run 'cairn providers set-key ${p.id}'`;
  return p.baseUrl;
};

/**
 * `cairn providers set-key <provider>`: the key comes from stdin when piped, otherwise from a
 * prompt that does not echo, and never from the command line (shell history, `ps`). Written to
 * the config dir directly, so it works without a gateway; a running one picks it up on its next
 * request.
 */
export async function providersSetKey(o: { provider: string; json: boolean }, paths: Paths, env: NodeJS.ProcessEnv): Promise<number> {
  const setup = localSetup(paths, env);
  const provider = keyedProvider(o.provider, setup);
  const raw = await readSecret(`API key for ${provider}`, `cairn providers set-key ${provider} < key.txt`);
  if (raw === null) {
    process.stderr.write("cancelled; nothing stored\n");
    return EXIT_FAILED;
  }
  const key = checkKey(provider, raw);
  const file = setup.keys.file;
  setup.keys.set(provider, key);
  const entry = findProvider(provider, setup.env, setup.config);
  if (!entry) throw new CairnError("bad_request", `unknown provider '${provider}'`);
  const shadowed = lookupKey(entry, setup.env, undefined).source === "env";
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: true, provider, key: { source: "stored", last4: last4(key) }, file, shadowedBy: shadowed ? entry.keyVariable : null })}\n`,
    );
    return 0;
  }
  const tail = last4(key);
  process.stdout.write(`stored the ${provider} key${tail ? ` (…${tail})` : ""} in ${file}\n`);
  if (shadowed) process.stdout.write(`note: ${entry.keyVariable} is set in this environment and takes precedence over the stored key\n`);
  process.stdout.write(`a running gateway uses it from its next request; 'cairn providers --refresh' checks it\n`);
  return 0;
}

/** A secret from stdin (piped) or a hidden prompt on the terminal; null when cancelled. */
export async function readSecret(what: string, pipeHint: string): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const parts: Buffer[] = [];
    for await (const c of stdin) parts.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
    const text = Buffer.concat(parts).toString("utf8").trim();
    if (!text) throw new CairnError("bad_request", `no ${what} on stdin: pipe it in (${pipeHint}) or run in a terminal to be prompted`);
    return text;
  }
  process.stderr.write(`${what} (input hidden, Enter to finish): `);
  return new Promise((resolve) => {
    let buf = "";
    const finish = (v: string | null) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      resolve(v);
    };
    const onData = (chunk: Buffer | string) => {
      // Bracketed-paste markers, if the terminal sends them, are not part of the key.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what the paste markers start with.
      const text = String(chunk).replace(/\u001b\[20[01]~/g, "");
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return finish(buf);
        if (ch === "\u0003") return finish(null); // Ctrl-C
        if (ch === "\u0004") return finish(buf === "" ? null : buf); // Ctrl-D
        if (ch === "\u007f" || ch === "\b") buf = buf.slice(0, -1);
        else if (ch === "\u0015")
          buf = ""; // Ctrl-U
        else if (ch >= " ") buf += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
