/** Sessions: the transcript aggregate, its commands and effects, forks and node routing. */
export {
  RECENT_USER_MESSAGES,
  SESSION_MACHINE_VERSION,
  sessionMachine,
  type RecentUserMessage,
  type SessionContext,
} from "./session.machine.ts";
export {
  nextTranscript,
  replyOf,
  sessionTranscripts,
  type Compaction,
  type TranscriptMessage,
  type Transcripts,
} from "./session.transcript.ts";
export {
  assistantMessageId,
  createSessionSpec,
  EndRunCommand,
  type ModelCheck,
  type SessionCommand,
  type VisionCheck,
} from "./session.commands.ts";
export { sessionEffects, type SessionEffects } from "./session.effects.ts";
export { forkSession, forkSessionWith, type ForkSession } from "./session.fork.route.ts";
export { finishedMessages, ForkParams, MAX_FORK_BYTES, planFork } from "./session.fork.ts";
export { setSessionNode } from "./session.node.route.ts";
