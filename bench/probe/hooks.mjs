// Module hooks (run on Node's loader thread): report every ESM/CJS entry loaded through `import`
// to the main thread, so the probe can attribute loaded code to packages.
let port;
export function initialize(data) {
  port = data.port;
}
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  port.postMessage(url);
  return result;
}
