#!/usr/bin/env node
// The `cairn` command. Node 20 cannot strip TypeScript types itself, so tsx's loader is registered
// first; everything else lives in main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (piped output must not be cut short).
process.exitCode = code;
if (process.argv[2] !== undefined || code !== 0) setTimeout(() => process.exit(code), 50).unref();
