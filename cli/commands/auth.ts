import { request, subjects } from "../../bus/index.ts";
import { SCOPES, type AuthOverview, type CreatedApiKey, type Scope } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError, localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";

/**
 * `cairn auth …`: the gateway's credentials from the machine it runs on. The CLI holds the local
 * NATS credentials (0600, the owner's), so it acts as the owner: `by` in the log is `cli`.
 */
const flow = async (paths: Paths, verb: string, params: object): Promise<unknown> => {
  const nc = await connectToGateway(paths);
  try {
    return await request(nc, subjects.command("auth", "global", verb), { ...params, by: "cli" });
  } finally {
    await nc.close();
  }
};
const out = (json: boolean, value: unknown, text: string): number => {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text);
  return 0;
};

export const parseScopes = (list: string | undefined): Scope[] | undefined => {
  if (list === undefined) return undefined;
  const scopes = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length > 0 || scopes.length === 0) throw new UsageError(`--scopes takes a comma-separated list of: ${SCOPES.join(", ")}`);
  return scopes as Scope[];
};

export async function authSetupCode(o: { json: boolean }, paths: Paths): Promise<number> {
  const r = (await flow(paths, "setup_code", {})) as { code: string; expiresAt: number };
  return out(o.json, r, `one-time setup code: ${r.code} (valid until ${localTime(r.expiresAt)})\n`);
}

export async function authKeysCreate(o: { json: boolean; label: string; scopes: Scope[] | undefined }, paths: Paths): Promise<number> {
  const r = (await flow(paths, "keys_create", { label: o.label, ...(o.scopes ? { scopes: o.scopes } : {}) })) as CreatedApiKey;
  return out(
    o.json,
    r,
    `${r.key}\n\nAPI key "${r.label}" (${r.id}), scopes ${r.scopes.join(", ")}.\nThis is the only time it is shown: store it now.\n`,
  );
}

export async function authKeysRevoke(o: { json: boolean; id: string }, paths: Paths): Promise<number> {
  const r = (await flow(paths, "keys_revoke", { id: o.id })) as { id: string; revoked: boolean };
  return out(o.json, r, r.revoked ? `revoked ${r.id}\n` : `${r.id} was revoked already\n`);
}

export async function authKeysList(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  let r: AuthOverview;
  try {
    r = (await request(nc, subjects.query("auth", "overview"), {})) as AuthOverview;
  } finally {
    await nc.close();
  }
  if (o.json) return out(true, r.keys, "");
  if (r.keys.length === 0) return out(false, null, "no API keys; create one with `cairn auth keys create --label NAME`\n");
  const rows = [["ID", "LABEL", "PREFIX", "SCOPES", "CREATED", "REVOKED"]];
  for (const k of r.keys)
    rows.push([k.id, k.label, `${k.prefix}…`, k.scopes.join(","), localTime(k.createdAt), k.revokedAt ? localTime(k.revokedAt) : "-"]);
  return out(false, null, table(rows));
}

/** Reads the new password from stdin (one line), so it never appears in the shell history or `ps`. */
export async function authPassword(o: { json: boolean }, paths: Paths): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const password = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  if (password === "")
    throw new UsageError("give the new password on stdin, e.g. `read -rs P && printf '%s\\n' \"$P\" | cairn auth password`");
  await flow(paths, "password_set", { password, local: true });
  return out(o.json, { set: true }, "password set; every browser logs in with it from now on\n");
}

export async function authLogoutAll(o: { json: boolean }, paths: Paths): Promise<number> {
  const r = (await flow(paths, "sessions_revoke_all", {})) as { revoked: number };
  return out(o.json, r, `ended ${r.revoked} login session(s)\n`);
}
