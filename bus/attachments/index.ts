/** The attachment store: files users send with messages, kept by SHA-256 in the data dir. */
export { AttachmentStore, attachmentsDir, type StoredEntry, type StoredFile } from "./attachment.store.ts";
export { classifyFile, imageMimeOf, type FileType } from "./attachment.sniff.ts";
export {
  attachmentRefsOf,
  collectAttachments,
  planAttachmentGc,
  readAttachmentRefs,
  type AttachmentRefs,
  type AttachmentState,
  type GcResult,
  type PlannedEntry,
} from "./attachment.gc.ts";
