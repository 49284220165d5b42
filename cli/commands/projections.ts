import { createInbox } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { request, subjects } from "../../bus/index.ts";
import { decodeLenient } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { progressBar } from "../output.ts";
import type { Paths } from "../paths.ts";

const Progress = Schema.Struct({ applied: Schema.Number, total: Schema.Number });

export async function projectionsRebuild(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const inbox = createInbox();
    const bar = progressBar("rebuilding");
    const sub = nc.subscribe(inbox, {
      callback: (_e, m) => {
        if (o.json) return;
        try {
          const p = decodeLenient(Progress, m.json(), "progress");
          bar.update(p.applied, p.total);
        } catch {
          // progress is cosmetic
        }
      },
    });
    const result = (await request(nc, subjects.admin("projections", "rebuild"), { progressSubject: inbox }, { timeoutMs: 3_600_000 })) as {
      events: number;
      ms: number;
    };
    sub.unsubscribe();
    bar.done();
    const rate = result.ms > 0 ? Math.round((result.events / result.ms) * 1000) : result.events;
    if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result, eventsPerSecond: rate })}\n`);
    else process.stdout.write(`rebuilt read models from ${result.events} events in ${result.ms} ms (${rate} events/s)\n`);
    return 0;
  } finally {
    await nc.close();
  }
}
