import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";

/**
 * The bash grammar (tree-sitter-bash's wasm build) loaded once, lazily, on the first command the
 * gate judges: ~40 ms and ~2 MB of wasm that a gateway with `approval_mode = "always"` never needs.
 * The promise is kept, so concurrent first calls share one load, and a failed load is retried on
 * the next call instead of being cached (a missing wasm file is a broken install, reported each time).
 */
let loading: Promise<Parser> | undefined;

export const bashParser = (): Promise<Parser> => {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
};

const load = async (): Promise<Parser> => {
  await Parser.init();
  // Resolved from this module, so the bundled CLI (dist/cli) finds it in node_modules too.
  const wasm = createRequire(import.meta.url).resolve("tree-sitter-bash/tree-sitter-bash.wasm");
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
  return parser;
};
