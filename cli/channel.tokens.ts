import { join } from "node:path";
import { KeyStore } from "../actors/llm/index.ts";

/** Where `cairn channels set-token` keeps bot tokens: the config dir, 0600, like provider keys. */
export const CHANNEL_TOKENS_FILE = "channel_tokens.json";
export const channelTokens = (configDir: string) => new KeyStore(join(configDir, CHANNEL_TOKENS_FILE));
