import * as fs from "node:fs";
import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";

/**
 * The directory a command starts in: `cwd` relative to the workspace, refused when it leaves it,
 * by `..` or through a symlink (both paths are compared after `realpath`).
 */
export const resolveWorkdir = (workspace: string, cwd: string | undefined): string => {
  const root = fs.realpathSync(workspace);
  if (cwd === undefined || cwd === "" || cwd === ".") return root;
  if (cwd.includes("\0")) throw new CairnError("bad_request", "cwd contains a NUL byte");
  const wanted = path.resolve(root, cwd);
  if (!isInside(root, wanted)) {
    throw new CairnError("bad_request", `cwd ${JSON.stringify(cwd)} is outside the workspace`, { cwd });
  }
  let real: string;
  try {
    real = fs.realpathSync(wanted);
  } catch {
    throw new CairnError("bad_request", `cwd ${JSON.stringify(cwd)} does not exist in the workspace`, { cwd });
  }
  if (!isInside(root, real)) {
    throw new CairnError("bad_request", `cwd ${JSON.stringify(cwd)} leaves the workspace through a symlink`, { cwd });
  }
  if (!fs.statSync(real).isDirectory()) {
    throw new CairnError("bad_request", `cwd ${JSON.stringify(cwd)} is not a directory`, { cwd });
  }
  return real;
};

export const isInside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};
