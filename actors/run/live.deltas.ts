/**
 * Reply text on its way to the live stream. When deltas are rare (a remote model at 50 tokens/s)
 * each goes out at once; when they come faster than `windowMs` apart (a local model, a busy
 * gateway) they are joined, up to `maxChars`, and sent when the window closes — fewer messages per
 * token for the bus and every client, and no added latency when idle. `close` sends what is left;
 * call it before anything else of the run goes live, so order holds.
 */
export const liveDeltas = (send: (text: string) => void, o: { windowMs?: number; maxChars?: number; now?: () => number } = {}) => {
  const windowMs = o.windowMs ?? 4;
  const maxChars = o.maxChars ?? 1024;
  const now = o.now ?? (() => performance.now());
  let pending = "";
  let sentAt = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === "") return;
    const text = pending;
    pending = "";
    sentAt = now();
    send(text);
  };
  return {
    write(text: string): void {
      if (text === "") return;
      pending += text;
      const since = now() - sentAt;
      if ((timer === undefined && since >= windowMs) || pending.length >= maxChars) flush();
      else timer ??= setTimeout(flush, Math.max(0, windowMs - since));
    },
    close: flush,
  };
};
