/**
 * What a log line must never carry, cut out before it is written: log lines are free text built by
 * many callers (an error message may quote a request, a URL may hold a token), so the writer
 * scrubs every line rather than trusting each caller. Each pattern is a credential shape cairn or
 * a provider issues; what matched is replaced by its kind, so the line still says what was there.
 */
const PATTERNS: readonly [RegExp, string][] = [
  // HTTP credentials quoted from a request or an error.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [redacted]"],
  // Provider keys: OpenAI / OpenRouter / Anthropic (sk-, sk-ant-, sk-or-), Groq (gsk_), xAI (xai-), Google (AIza).
  [/\b(sk-(?:ant-|or-|proj-)?|gsk_|xai-)[A-Za-z0-9_-]{12,}/g, "$1[redacted]"],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, "AIza[redacted]"],
  // cairn's API keys (ck_…), Telegram bot tokens (digits:secret).
  [/\bck_[A-Za-z0-9_-]{8,}/g, "ck_[redacted]"],
  [/\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g, "[redacted bot token]"],
  // NATS nkey seeds (S + key type + base32) and JWTs (user creds, tokens).
  [/\bS[UAONC][A-Z2-7]{56}\b/g, "[redacted nkey seed]"],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, "[redacted jwt]"],
  // "key": "value" (JSON) and key=value pairs whose name says secret; a quoted value whole.
  [/("(?:api[_-]?key|token|secret|password|passwd|authorization|cookie|x-api-key)"\s*:\s*")(?:[^"\\]|\\.)*"/gi, '$1[redacted]"'],
  [/\b((?:api[_-]?key|token|secret|password|passwd|authorization|cookie|x-api-key)["']?\s*[:=]\s*["']?)[^\s"',;&]{4,}/gi, "$1[redacted]"],
  // Credentials inside URLs (https://user:pass@host).
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, "$1[redacted]@"],
];

/** `text` with every credential-shaped part replaced. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, by] of PATTERNS) out = out.replace(re, by);
  return out;
}
