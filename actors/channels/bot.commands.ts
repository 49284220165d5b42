/**
 * The commands a chat can give the bot itself; anything else goes to the agent. The web composer's
 * slash commands (ui/src/lib/slash.ts) follow the same grammar; the UI keeps its own list because
 * its bundle may import only types from outside ui/ (DESIGN §9).
 */
export const BOT_COMMANDS = ["start", "help", "new", "stop", "model"] as const;
export type BotCommand = { readonly name: (typeof BOT_COMMANDS)[number]; readonly arg: string };

/** `/new`, `/model openai/gpt-4o`, `/stop@my_bot` (groups name the bot); null for anything else. */
export const botCommandOf = (text: string): BotCommand | null => {
  const m = /^\/([a-z]+)(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m || !(BOT_COMMANDS as readonly string[]).includes(m[1])) return null;
  return { name: m[1] as BotCommand["name"], arg: (m[2] ?? "").trim() };
};
