/**
 * Session workspaces as the UI reads them: `q.workspace.read` serves a file of a session's
 * workspace (e.g. a cut exec result's full output) with the file tools' confinement.
 */
export { MAX_WORKSPACE_READ_BYTES, serveWorkspaceFiles } from "./workspace.service.ts";
