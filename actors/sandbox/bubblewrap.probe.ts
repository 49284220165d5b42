import { spawnSync } from "node:child_process";
import { isolationArgs } from "./bubblewrap.args.ts";
import { DEFAULT_PATH } from "./env.filter.ts";

export interface BwrapProbe {
  readonly ok: boolean;
  readonly path: string;
  readonly reason?: string;
}

let cached: BwrapProbe | undefined;

/**
 * Whether bwrap can really build a sandbox here (it is often installed but refused: no
 * unprivileged user namespaces, seccomp'd containers). Probed once per process by running
 * `true` in the same isolation the commands get.
 */
export const probeBubblewrap = (bwrap = "bwrap"): BwrapProbe => {
  if (cached && cached.path === bwrap) return cached;
  const r = spawnSync(bwrap, [...isolationArgs(false), "--remount-ro", "/", "--", "/bin/true"], {
    timeout: 10_000,
    encoding: "utf8",
    env: { PATH: DEFAULT_PATH },
  });
  cached =
    r.error !== undefined
      ? { ok: false, path: bwrap, reason: r.error.message }
      : r.status === 0
        ? { ok: true, path: bwrap }
        : { ok: false, path: bwrap, reason: (r.stderr || `exit ${r.status ?? r.signal}`).trim() };
  return cached;
};
