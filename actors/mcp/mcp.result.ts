import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { utf8Prefix } from "../tools/index.ts";

/**
 * What an MCP call gives back is kept to this many bytes before the run applies its own cap: a
 * server that answers with megabytes must not hold them in memory past the call or push them
 * through the bus (the run's `MAX_TOOL_RESULT_BYTES` is the cap the model and the log see).
 */
export const MCP_RESULT_BYTES = 64 * 1024;

/**
 * The model reads text: text parts as they are, structured content as JSON when there is no text,
 * and a one-line placeholder for binary parts (images, audio, blobs), which no tool result carries.
 */
export function resultText(r: CallToolResult): { output: string; truncated: boolean } {
  const parts: string[] = [];
  for (const c of r.content ?? []) {
    switch (c.type) {
      case "text":
        parts.push(c.text);
        break;
      case "image":
      case "audio":
        parts.push(`[${c.type} ${c.mimeType}, ${Math.floor((c.data.length * 3) / 4)} bytes, not shown]`);
        break;
      case "resource_link":
        parts.push(`[resource ${c.uri}${c.name ? ` (${c.name})` : ""}]`);
        break;
      case "resource":
        parts.push("text" in c.resource ? c.resource.text : `[resource ${c.resource.uri}, binary, not shown]`);
        break;
    }
  }
  if (parts.length === 0 && r.structuredContent !== undefined) parts.push(JSON.stringify(r.structuredContent));
  const full = parts.join("\n");
  const output = utf8Prefix(full, MCP_RESULT_BYTES);
  return { output, truncated: output.length < full.length };
}
