/**
 * Exit codes and the wrong-command-line error, apart from output.ts (which imports the schemas):
 * the command table (main.ts) needs these before it knows whether a command needs the schemas.
 */

/** Exit codes: 1 = the operation failed, 2 = the command line or config is wrong. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}
