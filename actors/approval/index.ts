/** Approvals: an aggregate per dangerous tool call waiting for a person, and the exec policy. */
export { approvalSpec, approvalView, type ApprovalCommand, type ApprovalView } from "./approval.commands.ts";
export { APPROVAL_MACHINE_VERSION, approvalMachine, type ApprovalContext, type ApprovalStatus } from "./approval.machine.ts";
export { ApprovalWaiters, approvalIdFor } from "./approval.wait.ts";
export {
  MAX_JUDGED_COMMAND_BYTES,
  execVerdict,
  execVerdictWith,
  matchesAllowlist,
  type ApprovalMode,
  type ExecVerdict,
} from "./exec.policy.ts";
export { bashParser } from "./shell.parser.ts";
export { protectedWriteReason } from "./write.policy.ts";
