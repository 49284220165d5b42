/**
 * Splits Docker's multiplexed attach stream (used when the exec has no TTY) into stdout and
 * stderr. Each frame is an 8-byte header — stream type (1 stdout, 2 stderr), three zero bytes, a
 * big-endian uint32 payload length — then the payload. Chunks from the socket cut frames
 * anywhere, so partial headers and payloads are carried over to the next chunk.
 */
export type DemuxSink = (stream: "stdout" | "stderr", payload: Buffer) => void;

export interface Demuxer {
  push(chunk: Buffer): void;
  /** Bytes of an incomplete frame still held (non-zero at the end means the stream was cut). */
  pending(): number;
}

export const createDemuxer = (sink: DemuxSink): Demuxer => {
  let buf: Buffer = Buffer.alloc(0);
  return {
    push: (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 8) {
        const size = buf.readUInt32BE(4);
        if (buf.length < 8 + size) break;
        const type = buf[0];
        const payload = buf.subarray(8, 8 + size);
        // Type 0 (stdin echo) never comes without a TTY-less stdin attach; treat unknown as stdout
        // rather than lose output.
        if (size > 0) sink(type === 2 ? "stderr" : "stdout", payload);
        buf = buf.subarray(8 + size);
      }
    },
    pending: () => buf.length,
  };
};
