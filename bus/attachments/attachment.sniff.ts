import { CairnError, MAX_IMAGE_BYTES, MAX_TEXT_FILE_BYTES, type AttachmentKind } from "../../schemas/index.ts";

/** What a file is, judged from its bytes alone (a client's Content-Type or file name is not believed). */
export interface FileType {
  readonly kind: AttachmentKind;
  readonly mime: string;
}

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The image formats vision APIs accept, by magic number. */
export const imageMimeOf = (b: Uint8Array): string | null => {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"))) return "image/gif";
  if (startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)) return "image/webp";
  return null;
};

/** Other images people paste (a BMP, HEIC or TIFF screenshot): named in the refusal. */
const otherImage = (b: Uint8Array): string | null => {
  if (startsWith(b, ascii("BM"))) return "BMP";
  if (startsWith(b, ascii("ftyp"), 4)) return "HEIC/AVIF";
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return "TIFF";
  return null;
};

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The file's kind and type, or a typed refusal: `attachment_unsupported` for anything that is
 * neither a png/jpeg/gif/webp image nor UTF-8 text (NUL bytes mean binary), `attachment_too_large`
 * past the kind's limit.
 */
export const classifyFile = (bytes: Uint8Array): FileType => {
  const image = imageMimeOf(bytes);
  if (image) {
    if (bytes.length > MAX_IMAGE_BYTES) throw tooLarge("image", bytes.length, MAX_IMAGE_BYTES);
    return { kind: "image", mime: image };
  }
  const other = otherImage(bytes);
  if (other) throw new CairnError("attachment_unsupported", `${other} images are not accepted: send PNG, JPEG, GIF or WebP`);
  if (bytes.length > MAX_TEXT_FILE_BYTES) throw tooLarge("text file", bytes.length, MAX_TEXT_FILE_BYTES);
  if (bytes.includes(0)) throw unsupported();
  try {
    strictUtf8.decode(bytes);
  } catch {
    throw unsupported();
  }
  return { kind: "text", mime: "text/plain" };
};

const unsupported = () =>
  new CairnError("attachment_unsupported", "only images (PNG, JPEG, GIF, WebP) and UTF-8 text files can be attached; this file is neither");

const tooLarge = (what: string, size: number, max: number) =>
  new CairnError("attachment_too_large", `the ${what} is ${mib(size)}; the limit is ${mib(max)}`, { size, maxBytes: max });

const mib = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);
