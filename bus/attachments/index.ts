/** The attachment store: files users send with messages, kept by SHA-256 in the data dir. */
export { AttachmentStore, attachmentsDir, type StoredFile } from "./attachment.store.ts";
export { classifyFile, imageMimeOf, type FileType } from "./attachment.sniff.ts";
