import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";
import { protectedWriteReason } from "../approval/index.ts";
import { resolveInWorkspace, type WorkspacePath } from "./workspace.ts";

/** The tools that write the workspace path in their `path` argument: the run's gate asks for them. */
export const PATH_WRITERS: ReadonlySet<string> = new Set(["write_file", "edit_file"]);

/**
 * Why writing `p` needs an approval (its content is executed by later commands), or undefined.
 * Judged on the path as given (with `..` folded) and on the real path it resolves to, so neither
 * `src/../.git/config` nor a symlink `cfg -> .git` gets past.
 */
export const protectedTarget = async (workspace: string, p: string): Promise<string | undefined> => {
  const lexical = path.relative(path.resolve(workspace), path.resolve(workspace, p));
  const given = protectedWriteReason(lexical);
  if (given !== undefined) return given;
  const target = await resolveInWorkspace(workspace, p).catch(() => undefined);
  return target ? protectedWriteReason(target.display) : undefined;
};

/**
 * The target of a write, refused when it is protected and the call was not let through by the
 * approval gate. The gate asked before the call; this check, at the write, is the one that holds
 * when the path changed in between (a directory swapped for a symlink) or a caller skipped the gate.
 */
export const writableTarget = async (workspace: string, p: string, approved: boolean | undefined): Promise<WorkspacePath> => {
  const target = await resolveInWorkspace(workspace, p);
  const lexical = path.relative(path.resolve(workspace), path.resolve(workspace, p));
  const why = protectedWriteReason(lexical) ?? protectedWriteReason(target.display);
  if (why !== undefined && approved !== true) {
    throw new CairnError("bad_request", `writing ${target.display} needs the user's approval: ${why}`, {
      reason: "approval_required",
      path: target.display,
    });
  }
  return target;
};
