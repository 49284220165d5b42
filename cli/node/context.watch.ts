/**
 * Watches the working directory for changes to `AGENTS.md` and `.agents/skills/*\/SKILL.md` and
 * reports the new context, debounced (an editor's save is several events). `fs.watch` is not
 * recursive on Linux under Node 20, so the watcher watches each folder on the way down and
 * re-arms after every change: a `.agents/skills/new/` created after start is watched as soon as
 * it appears, and the re-read after the debounce sees whatever was written before it was armed.
 */
import { watch, type FSWatcher } from "node:fs";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { NodeContext } from "../../schemas/index.ts";
import { readNodeContext, sameContext, type ContextProblem } from "./context.read.ts";

export interface ContextWatcherOptions {
  readonly workingDir: string;
  /** Called with the new context when it really changed (not on the initial read). */
  readonly onChange: (context: NodeContext) => void;
  readonly onProblem?: (p: ContextProblem) => void;
  readonly debounceMs?: number;
  readonly now?: () => number;
}

export interface ContextWatcher {
  /** The context as last read. */
  current(): NodeContext;
  close(): void;
}

export function watchNodeContext(opts: ContextWatcherOptions): ContextWatcher {
  const debounceMs = opts.debounceMs ?? 300;
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const read = (): NodeContext => {
    const { context, problems } = readNodeContext(opts.workingDir, opts.now);
    for (const p of problems) opts.onProblem?.(p);
    return context;
  };

  const folders = (): string[] => {
    const agents = join(opts.workingDir, ".agents");
    const skills = join(agents, "skills");
    const list = [opts.workingDir, agents, skills];
    try {
      for (const d of readdirSync(skills, { withFileTypes: true })) if (d.isDirectory()) list.push(join(skills, d.name));
    } catch {}
    return list;
  };

  const arm = (): void => {
    const wanted = new Set(folders());
    for (const [dir, w] of watchers) {
      if (!wanted.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => schedule());
        // A watched folder that is deleted errors out: forget it, the next re-arm finds it again.
        w.on("error", () => {
          w.close();
          watchers.delete(dir);
          schedule();
        });
        watchers.set(dir, w);
      } catch {
        // does not exist (yet)
      }
    }
  };

  let last = read();
  arm();

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      arm();
      const next = read();
      if (!sameContext(next, last)) {
        last = next;
        opts.onChange(next);
      }
    }, debounceMs);
  }

  return {
    current: () => last,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
