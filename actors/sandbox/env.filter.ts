/**
 * Which environment variables reach a sandboxed command. The host environment is filtered by an
 * allowlist (a gateway's environment is full of credentials); the request's own `env` may set
 * anything that is neither secret-looking nor able to hijack the loader or the shell.
 */

const HOST_ALLOWED = new Set(["PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "COLORTERM", "NO_COLOR"]);
const HOST_ALLOWED_PREFIXES = ["LC_"];

// Names a secret hides behind. Checked case-insensitively, on request variables too: a model that
// asks for `OPENAI_API_KEY=...` is either leaking or exfiltrating.
const SECRET_PATTERNS: ReadonlyArray<RegExp> = [
  /KEY/i, // *_KEY, *_KEY_ID, APIKEY, ...
  /TOKEN/i,
  /SECRET/i,
  /PASSW(OR)?D/i,
  /CREDENTIAL/i,
  /PRIVATE/i,
  /(^|_)AUTH(_|$|ORIZATION)/i, // *_AUTH, AUTH_*, SSH_AUTH_SOCK; not GIT_AUTHOR_NAME
  /COOKIE/i,
  /^(AWS|AZURE|GCP|GOOGLE|GH|GITHUB|GITLAB|NPM|CAIRN|NATS|OPENAI|ANTHROPIC|DOCKER|SSH|GPG|HF|HUGGINGFACE)_/i,
];

// Variables that make the loader or the shell run code the command did not ask for.
const HIJACK_PATTERNS: ReadonlyArray<RegExp> = [
  /^LD_/i,
  /^DYLD_/i,
  /^BASH_FUNC_/i,
  /^(BASH_ENV|ENV|IFS|PS4|SHELLOPTS|BASHOPTS|PROMPT_COMMAND)$/i,
];

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type EnvVerdict = "allowed" | "secret" | "hijack" | "invalid" | "not_allowlisted";

/** Why a name is (not) passed on; `host` applies the host allowlist on top of the denylists. */
export const classifyEnvName = (name: string, origin: "host" | "request"): EnvVerdict => {
  if (!VALID_NAME.test(name)) return "invalid";
  if (HIJACK_PATTERNS.some((p) => p.test(name))) return "hijack";
  if (SECRET_PATTERNS.some((p) => p.test(name))) return "secret";
  if (origin === "host" && !HOST_ALLOWED.has(name) && !HOST_ALLOWED_PREFIXES.some((p) => name.startsWith(p))) {
    return "not_allowlisted";
  }
  return "allowed";
};

export interface FilteredEnv {
  readonly env: Record<string, string>;
  /** Names that were dropped, so a caller can tell the model why a variable is missing. */
  readonly dropped: ReadonlyArray<{ name: string; origin: "host" | "request"; reason: EnvVerdict }>;
}

export interface FilterEnvOptions {
  readonly host: NodeJS.ProcessEnv;
  readonly request?: Record<string, string> | undefined;
  /** HOME is always the workspace: the real home holds dotfiles with credentials. */
  readonly home: string;
  /** Replaces the host PATH (a sandbox only sees some of the host's directories). */
  readonly path?: string | undefined;
}

/** The environment a command runs with: filtered host variables, then filtered request variables. */
export const filterEnv = (opts: FilterEnvOptions): FilteredEnv => {
  const env: Record<string, string> = {};
  const dropped: Array<{ name: string; origin: "host" | "request"; reason: EnvVerdict }> = [];
  for (const [name, value] of Object.entries(opts.host)) {
    if (value === undefined) continue;
    const verdict = classifyEnvName(name, "host");
    if (verdict === "allowed") env[name] = value;
    // Host drops are not reported: listing the gateway's variable names would leak them too.
  }
  if (opts.path !== undefined) env.PATH = opts.path;
  if (env.PATH === undefined) env.PATH = DEFAULT_PATH;
  for (const [name, value] of Object.entries(opts.request ?? {})) {
    const verdict = classifyEnvName(name, "request");
    if (verdict === "allowed" && name !== "HOME") env[name] = String(value);
    else dropped.push({ name, origin: "request", reason: verdict === "allowed" ? "hijack" : verdict });
  }
  env.HOME = opts.home;
  return { env, dropped };
};

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
