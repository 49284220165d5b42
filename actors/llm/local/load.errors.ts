import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import { CairnError } from "../../../schemas/index.ts";

/**
 * Why a local model cannot load, in words a user can act on. Every failure is a
 * `model_load_failed` naming the file, with `details.reason` one of the kinds below so the UI can
 * pick an icon or a hint without parsing the message.
 */
export type LoadFailureKind =
  | "missing_file"
  | "not_a_file"
  | "not_gguf"
  | "corrupt" // a GGUF whose header or data is truncated or malformed
  | "unsupported_architecture"
  | "out_of_memory"
  | "no_binary" // node-llama-cpp has no usable prebuilt binary for this machine
  | "unknown";

const size = (bytes: number) =>
  bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GB`
    : bytes >= 1024 ** 2
      ? `${(bytes / 1024 ** 2).toFixed(1)} MB`
      : `${Math.ceil(bytes / 1024)} KB`;

export function loadFailed(path: string, kind: LoadFailureKind, why: string, extra: Record<string, unknown> = {}): CairnError {
  return new CairnError("model_load_failed", `cannot load local model ${basename(path)}: ${why}`, {
    file: path,
    reason: kind,
    ...extra,
  });
}

/**
 * Checks that need no native code, run before node-llama-cpp sees the file: they give precise
 * reasons where llama.cpp would only say "failed to load model". Returns the file size.
 *
 * Memory: weights are mmapped, so a model larger than RAM does load, then pages from disk for
 * every token (minutes per reply): refuse it with the sizes instead.
 */
export async function preflight(path: string, totalMemoryBytes: number): Promise<number> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw loadFailed(path, "missing_file", `file not found (${path})`);
    if (e.code === "EACCES") throw loadFailed(path, "missing_file", `permission denied reading ${path}`);
    throw loadFailed(path, "missing_file", `${e.code ?? "error"} reading ${path}: ${e.message}`);
  });
  if (!st.isFile()) throw loadFailed(path, "not_a_file", `${path} is not a file`);

  const fh = await open(path, "r");
  const head = Buffer.alloc(8);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, 8, 0));
  } finally {
    await fh.close();
  }
  if (n < 4 || head.toString("latin1", 0, 4) !== "GGUF") {
    const seen = head.subarray(0, n);
    const printable = [...seen].every((b) => b >= 0x20 && b < 0x7f);
    throw loadFailed(
      path,
      "not_gguf",
      n === 0
        ? "the file is empty, not a GGUF model"
        : `not a GGUF model file (it starts with ${printable ? JSON.stringify(seen.toString("latin1")) : `bytes ${seen.toString("hex")}`}, a GGUF file starts with "GGUF")`,
    );
  }
  const version = n >= 8 ? head.readUInt32LE(4) : 0;
  if (version < 2 || version > 3) {
    throw loadFailed(path, "corrupt", `unsupported GGUF version ${version} (llama.cpp reads versions 2 and 3)`);
  }
  // 90 %: the OS, the gateway and the KV cache need room too.
  if (st.size > totalMemoryBytes * 0.9) {
    throw loadFailed(
      path,
      "out_of_memory",
      `not enough memory: the model needs at least ${size(st.size)} and this machine has ${size(totalMemoryBytes)} RAM; ` +
        "choose a smaller model or a stronger quantization (e.g. Q4_K_M)",
      { modelBytes: st.size, totalMemoryBytes },
    );
  }
  return st.size;
}

/**
 * Turns what node-llama-cpp threw (and what llama.cpp logged meanwhile) into a `model_load_failed`.
 */
export function classifyLoadError(path: string, error: unknown, logs: readonly string[]): CairnError {
  if (error instanceof CairnError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const all = [...logs, `${err.name}: ${err.message}`].join("\n");
  const line = (re: RegExp) => {
    const hit = all.split("\n").find((l) => re.test(l));
    return hit
      ?.replace(/^\w+:\s*/, "") // our "level: " prefix
      .replace(/^[\w:]+: /, "") // llama.cpp's "function_name: " prefix
      .replace(/^error loading model: /, "")
      .trim();
  };

  const arch = /unknown model architecture: '([^']*)'/.exec(all);
  if (arch) {
    return loadFailed(
      path,
      "unsupported_architecture",
      `unsupported model architecture "${arch[1]}": the bundled llama.cpp cannot run it (a newer node-llama-cpp may)`,
      { architecture: arch[1] },
    );
  }
  if (/not within the file bounds|failed to read|corrupted or incomplete|failed to parse gguf|invalid gguf|unexpected end/i.test(all)) {
    const detail = line(/not within the file bounds|failed to read|corrupted|invalid|unexpected end/i);
    return loadFailed(path, "corrupt", `the file is truncated or corrupt (${detail ?? err.message}); download it again`);
  }
  if (err.name === "InsufficientMemoryError" || /out of memory|failed to allocate|unable to allocate|cannot allocate|ENOMEM/i.test(all)) {
    const detail = line(/memory|allocate/i) ?? err.message;
    return loadFailed(
      path,
      "out_of_memory",
      `not enough memory (${detail}); choose a smaller model, a smaller context_size or fewer gpu_layers`,
    );
  }
  if (err.name === "NoBinaryFoundError") {
    return loadFailed(
      path,
      "no_binary",
      "node-llama-cpp has no prebuilt llama.cpp binary for this machine (reinstall dependencies with npm ci; " +
        "building from source is disabled)",
    );
  }
  const detail = line(/error/i);
  return loadFailed(path, "unknown", detail ? `${err.message}: ${detail}` : err.message);
}
