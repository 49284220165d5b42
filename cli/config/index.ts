/** `cairn.toml` and the environment, read and checked into the settings a gateway or command runs with. */
export { loadSettings } from "./load.ts";
export { readConfigFile } from "./config.file.ts";
export { parseDiskBytes, parseMemoryMb } from "./tools.settings.ts";
export type { Settings } from "./settings.types.ts";
