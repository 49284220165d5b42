/**
 * A streamed HTTP reply (server-sent events) on both edge transports: the chunks arrive as they are
 * made, and a client that goes away aborts the producer's signal, so the work behind it stops.
 */
import { request } from "node:http";
import { describe, expect, test } from "vitest";
import { loadTransport } from "../../../../bus/edge/index.ts";
import type { HttpReply } from "../../../../bus/edge/transport/index.ts";

const nativeUws = Number(process.versions.modules) <= 115;
const names = nativeUws ? (["uws", "node"] as const) : (["node"] as const);

describe.each(names)("a streamed reply on the %s transport", (name) => {
  test("chunks arrive one by one; a client that leaves aborts the producer", async () => {
    const transport = await (await loadTransport(name)).create({});
    let release: () => void = () => {};
    const aborted = new Promise<void>((resolve) => {
      release = resolve;
    });
    let produced = 0;
    transport.http(
      (): HttpReply => ({
        status: 200,
        headers: { "Content-Type": "text/event-stream" },
        body: "data: first\n\n",
        async *stream(signal) {
          signal.addEventListener("abort", () => release(), { once: true });
          for (let i = 0; i < 3; i++) {
            produced++;
            yield `data: ${i}\n\n`;
            await new Promise((r) => setTimeout(r, 10));
          }
          // Then it waits for more until the client leaves.
          await aborted;
        },
      }),
    );
    const port = await transport.listen("127.0.0.1", 0);
    try {
      const text = await new Promise<string>((resolve, reject) => {
        let got = "";
        const req = request({ host: "127.0.0.1", port, path: "/events" }, (res) => {
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            got += d;
            if (got.includes("data: 2\n\n")) {
              req.destroy(); // the client goes away mid-stream
              resolve(got);
            }
          });
        });
        req.on("error", (e) => (got.includes("data: 2") ? undefined : reject(e)));
        req.end();
      });
      expect(text).toBe("data: first\n\ndata: 0\n\ndata: 1\n\ndata: 2\n\n");
      await aborted; // the producer learned the client left
      expect(produced).toBe(3);
    } finally {
      await transport.close();
    }
  });
});
