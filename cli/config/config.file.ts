import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CONFIG_KEYS, CairnError, ConfigFile, decodeOrFail } from "../../schemas/index.ts";
import { nearest } from "./suggest.ts";

/**
 * Walks the parsed file against the known keys so a typo is reported by its full path with the
 * nearest valid key, before schema decoding reports types.
 */
const checkKeys = (value: unknown, known: Record<string, unknown>, path: string[]): void => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const where = [...path, k].join(".");
    if (!Object.hasOwn(known, k)) {
      const hint = nearest(k, Object.keys(known));
      throw new CairnError(
        "bad_request",
        `unknown key '${where}'${hint ? `; did you mean '${[...path, hint].join(".")}'?` : `; valid keys here: ${Object.keys(known).join(", ")}`}`,
      );
    }
    const sub = known[k];
    // An array of tables (`[[hooks]]`) known as `{}`: its schema checks each entry.
    if (Array.isArray(v) && typeof sub === "object" && sub !== null && Object.keys(sub).length === 0) continue;
    if (typeof sub === "object" && sub !== null) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new CairnError("bad_request", `'${where}' must be a table ([${where}])`);
      }
      checkKeys(v, sub as Record<string, unknown>, [...path, k]);
    }
  }
};

/** Reads and checks `cairn.toml`; a missing file is an empty config. Errors name the file and key. */
export const readConfigFile = (file: string): ConfigFile | null => {
  if (!existsSync(file)) return null;
  const where = `config file ${file}`;
  let raw: unknown;
  try {
    raw = parseToml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CairnError("bad_request", `${where} is not valid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    checkKeys(raw, CONFIG_KEYS, []);
    return decodeOrFail(ConfigFile, raw, "config");
  } catch (e) {
    throw new CairnError("bad_request", `${where}: ${(e as Error).message}`);
  }
};

/** `~/x` and paths relative to the config file's folder, made absolute. */
export const configPath = (p: string, configFile: string): string =>
  p === "~" || p.startsWith("~/") ? resolve(homedir(), p.slice(2)) : resolve(dirname(configFile), p);
