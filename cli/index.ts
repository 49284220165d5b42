/** The `cairn` command: where processes are assembled from the parts. */
export { main } from "./main.ts";
export { startGateway, type Gateway } from "./gateway/gateway.ts";
export { resolvePaths, type Paths } from "./paths.ts";
export { loadSettings, readConfigFile, type Settings } from "./config/index.ts";
