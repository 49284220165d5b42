import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as Schema from "effect/Schema";
import { CairnError, decodeLenient } from "../../schemas/index.ts";
import { isCairnProcess } from "./lock.ts";

/** What a running gateway tells local CLI commands: where its bus and HTTP edge are. */
export const RuntimeInfo = Schema.Struct({
  pid: Schema.Number,
  version: Schema.String,
  natsUrl: Schema.String,
  cliCreds: Schema.String,
  /** The NATS server's certificate (PEM file) when it requires TLS; clients pin it. */
  natsCaFile: Schema.optionalKey(Schema.String),
  httpUrl: Schema.String,
  /** The edge's local CA (PEM file) when it serves HTTPS with one; local clients of the edge trust it. */
  httpCaFile: Schema.optionalKey(Schema.String),
  startedAt: Schema.Number,
});
export type RuntimeInfo = typeof RuntimeInfo.Type;

export const writeRuntimeFile = (file: string, info: RuntimeInfo): void => {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
};

export const removeRuntimeFile = (file: string): void => rmSync(file, { force: true });

/** The running gateway of this data dir, or a `unavailable` error that says how to start one. */
export const readRuntimeFile = (file: string, dataDir: string): RuntimeInfo => {
  const notRunning = new CairnError(
    "unavailable",
    `the cairn gateway is not running on ${dataDir}; start it with 'npm start' (or 'cairn gateway')`,
  );
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch {
    throw notRunning;
  }
  let info: RuntimeInfo;
  try {
    info = decodeLenient(RuntimeInfo, JSON.parse(raw), "gateway runtime file");
  } catch {
    throw notRunning;
  }
  if (!isCairnProcess(info.pid)) throw notRunning;
  return info;
};
