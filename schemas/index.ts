/** The contracts: every payload that crosses a boundary is decoded with one of these schemas. */
export * from "./ids.ts";
export * from "./errors.ts";
export * from "./decode.ts";
export * from "./json.ts";
export * from "./events/index.ts";
export * from "./commands.ts";
export * from "./queries.ts";
export * from "./live.ts";
export * from "./frames.ts";
export * from "./config.ts";
export * from "./mcp.ts";
export * from "./nodes.ts";
export * from "./methods.ts";
export * from "./auth.ts";
export * from "./scopes.ts";
