/**
 * Test helper run as its own process: starts the embedded nats-server on the data dir given as
 * argv[2] and prints `{"pid","url"}` as one JSON line. Then, by argv[3]:
 * - `hold` (default): idles until killed. SIGKILL of this process reproduces a gateway that died
 *   without stopping its nats-server.
 * - `exit`: calls process.exit(0) without stopping it, as a careless shutdown path would.
 */
import { startEmbeddedNats } from "../../../bus/server/index.ts";

const nats = await startEmbeddedNats({ dataDir: process.argv[2] });
process.stdout.write(`${JSON.stringify({ pid: nats.pid, url: nats.url })}\n`);
if (process.argv[3] === "exit") process.exit(0);
setInterval(() => undefined, 60_000);
