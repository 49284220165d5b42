import { createServer } from "node:net";
import { CairnError } from "../../../schemas/errors.ts";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startLlmServer, type LlmServer } from "../../fixtures/llm-server/index.ts";
import { forwarder } from "../../fixtures/forwarder.ts";
import { createAnthropicProvider } from "../../../actors/llm/anthropic.provider.ts";
import { createOpenAiProvider } from "../../../actors/llm/openai.provider.ts";
import type { LlmProvider, ProviderOptions, StreamChunk } from "../../../actors/llm/index.ts";

export interface Collected {
  deltas: string[];
  text: string;
  done: Extract<StreamChunk, { type: "done" }> | null;
  error: CairnError | null;
}

/** Drains a provider stream; a thrown error is kept with everything that arrived before it. */
export async function collect(stream: AsyncIterable<StreamChunk>): Promise<Collected> {
  const out: Collected = { deltas: [], text: "", done: null, error: null };
  try {
    for await (const c of stream) {
      if (c.type === "delta") out.deltas.push(c.text);
      else if (out.done) throw new Error("two done chunks");
      else out.done = c;
    }
  } catch (e) {
    if (!(e instanceof CairnError)) throw e;
    out.error = e;
  }
  out.text = out.deltas.join("");
  return out;
}

/** A port on 127.0.0.1 that nothing listens on (refuses connections). */
export const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** A key long and unique enough that finding it in a message cannot be a coincidence. */
export const TEST_KEY = "sk-cairn-test-7f3a9c1e5b2d8046aa";

export interface ProviderCase {
  id: "openai" | "anthropic";
  make(server: LlmServer, opts?: Partial<ProviderOptions>): LlmProvider;
  /** The base URL the provider is pointed at, as its error messages should name it. */
  baseUrl(server: LlmServer): string;
}

export const PROVIDER_CASES: ProviderCase[] = [
  {
    id: "openai",
    make: (s, o) => createOpenAiProvider({ apiKey: TEST_KEY, baseURL: s.openaiBaseUrl, ...o }),
    baseUrl: (s) => s.openaiBaseUrl,
  },
  {
    id: "anthropic",
    make: (s, o) => createAnthropicProvider({ apiKey: TEST_KEY, baseURL: s.anthropicBaseUrl, ...o }),
    baseUrl: (s) => s.anthropicBaseUrl,
  },
];

/**
 * A scripted LLM server for the enclosing describe block: started once, reset before each test,
 * closed after. The returned object always forwards to the current server.
 */
export function useLlmServer(): LlmServer {
  let s: LlmServer | undefined;
  beforeAll(async () => {
    s = await startLlmServer();
  });
  afterAll(async () => {
    await s?.close();
  });
  beforeEach(() => s!.reset());
  return forwarder(() => s);
}
