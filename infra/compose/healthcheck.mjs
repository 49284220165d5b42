// The container's HEALTHCHECK (Dockerfile): exit 0 when the gateway in this container answers
// GET /health with 200, 1 otherwise. Plain Node (the slim image has no curl); asks loopback on
// CAIRN_PORT, where the gateway listens whether it binds 0.0.0.0 or 127.0.0.1 (host networking).
const port = process.env.CAIRN_PORT || "13131";
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch (e) {
  process.stderr.write(`health check failed: ${e.message}\n`);
  process.exit(1);
}
