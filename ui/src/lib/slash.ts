/**
 * The composer's slash commands: what they are, how a typed line names one, and what the
 * completion popup offers. The Telegram channel reads the same shapes (`/name arg`, a known name
 * or else a message: actors/channels/bot.commands.ts); a `/path` that names no command is a message.
 */

export type SlashName = "new" | "model" | "compact" | "fork" | "clear" | "help";

export interface SlashSpec {
  readonly name: SlashName;
  /** What follows the name, for the popup and `/help` (empty: none). */
  readonly args: string;
  readonly summary: string;
}

export const SLASH_COMMANDS: readonly SlashSpec[] = [
  { name: "new", args: "", summary: "start a new chat on the default model" },
  { name: "model", args: "[name | default]", summary: "show or switch this chat's model" },
  { name: "compact", args: "", summary: "summarise the older turns (the messages stay)" },
  { name: "fork", args: "[label]", summary: "branch this chat into a new one and open it" },
  {
    name: "clear",
    args: "",
    summary: "start an empty chat on this chat's model; this one stays in the list unchanged",
  },
  { name: "help", args: "", summary: "list these commands" },
];

export type SlashCommand = { readonly name: SlashName; readonly arg: string };

/** `/model gpt-4o`, `/fork idea`, `/help`: the command, or null for a message (also `/etc/hosts?`). */
export const slashCommandOf = (text: string): SlashCommand | null => {
  const m = /^\/([a-z]+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  const spec = m && SLASH_COMMANDS.find((c) => c.name === m[1]);
  if (!m || !spec) return null;
  const arg = (m[2] ?? "").trim();
  // A command that takes nothing followed by text is a message that starts with a slash word.
  return spec.args === "" && arg !== "" ? null : { name: spec.name, arg };
};

/** `/help`'s answer: one line per command. */
export const slashHelp = (): string =>
  ["Commands:", ...SLASH_COMMANDS.map((c) => `/${c.name}${c.args ? ` ${c.args}` : ""} — ${c.summary}`)].join("\n");

/** One line of the completion popup. */
export interface SlashSuggestion {
  /** What the box holds once it is picked. */
  readonly text: string;
  readonly label: string;
  readonly detail: string;
  /** Picking it with Enter runs it (nothing more to type). */
  readonly complete: boolean;
}

const MAX_SUGGESTIONS = 8;

/**
 * What the popup offers for the box's text: the commands its first word starts, or, after
 * `/model `, the models whose id contains what follows. Empty when the text is not a command
 * being typed (no popup).
 */
export const slashSuggestions = (text: string, models: readonly string[]): SlashSuggestion[] => {
  if (!text.startsWith("/") || text.includes("\n")) return [];
  const model = /^\/model\s+(\S*)$/.exec(text);
  if (model) {
    const q = model[1].toLowerCase();
    // The id typed in full (or its bare name) comes first, so Enter picks what was typed.
    const rank = (id: string) => {
      const l = id.toLowerCase();
      return l === q || l.endsWith(`/${q}`) ? 0 : l.startsWith(q) || l.includes(`/${q}`) ? 1 : 2;
    };
    return ["default", ...models]
      .filter((id) => id.toLowerCase().includes(q))
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, MAX_SUGGESTIONS)
      .map((id) => ({
        text: `/model ${id}`,
        label: id,
        detail: id === "default" ? "back to the default model" : "",
        complete: true,
      }));
  }
  const word = /^\/([a-z]*)$/.exec(text);
  if (!word) return [];
  return SLASH_COMMANDS.filter((c) => c.name.startsWith(word[1])).map((c) => ({
    text: c.name === "model" ? "/model " : `/${c.name}`,
    label: `/${c.name}${c.args ? ` ${c.args}` : ""}`,
    detail: c.summary,
    complete: c.name !== "model",
  }));
};
