/**
 * Live output of a running tool call, batched: chunks are gathered and sent at most every
 * `intervalMs` (or once `flushBytes` have gathered), and a call streams at most `maxBytes` —
 * the result, not the live view, is the record. `close` sends what is left.
 */
export const liveOutput = (
  send: (stream: "stdout" | "stderr", text: string) => void,
  o: { intervalMs?: number; flushBytes?: number; maxBytes?: number } = {},
) => {
  const intervalMs = o.intervalMs ?? 100;
  const flushBytes = o.flushBytes ?? 8 * 1024;
  const maxBytes = o.maxBytes ?? 256 * 1024;
  let pending: { stream: "stdout" | "stderr"; text: string } | undefined;
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cut = false;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending && pending.text.length > 0) send(pending.stream, pending.text);
    pending = undefined;
  };
  return {
    write(stream: "stdout" | "stderr", chunk: string): void {
      if (cut) return;
      if (sent + chunk.length > maxBytes) {
        chunk = `${chunk.slice(0, Math.max(0, maxBytes - sent))}\n[live output stops here; the result has the rest]\n`;
        cut = true;
      }
      sent += chunk.length;
      // One message carries one stream: switching streams sends what gathered first.
      if (pending && pending.stream !== stream) flush();
      pending = { stream, text: (pending?.text ?? "") + chunk };
      if (pending.text.length >= flushBytes || cut) flush();
      else timer ??= setTimeout(flush, intervalMs);
    },
    close: flush,
  };
};
