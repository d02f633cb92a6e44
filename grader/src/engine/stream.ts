import { Readable } from 'node:stream';
import type Docker from 'dockerode';

/** Keeps only the last `limit` bytes written, and counts everything: output of any size costs bounded memory. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(readonly limit: number) {}

  push(chunk: Buffer | string): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.total += buffer.length;
    this.chunks.push(buffer.length > this.limit ? buffer.subarray(buffer.length - this.limit) : buffer);
    this.kept += Math.min(buffer.length, this.limit);
    // Whole chunks go only while what stays still covers the limit; text() trims the rest.
    while (this.chunks.length > 1 && this.kept - this.chunks[0]!.length >= this.limit) {
      this.kept -= this.chunks.shift()!.length;
    }
  }

  /** The bytes kept, decoded; a cut multi-byte character at the start is dropped. */
  text(): string {
    let joined = Buffer.concat(this.chunks);
    if (joined.length > this.limit) joined = joined.subarray(joined.length - this.limit);
    return joined.toString('utf8').replace(/^\uFFFD+/, '');
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }
}

/**
 * Splits the engine's multiplexed stdout/stderr stream (non-TTY containers and
 * execs) frame by frame, keeping the last `maxBytes` of the combined output; a
 * TTY stream (no frame headers) passes through as it is. Not docker-modem's
 * demuxStream: it recurses twice per frame and copies the rest of the buffer at
 * each one, so 5,000 log lines read at once overflowed the stack after using GBs.
 */
export async function demuxedTail(_modem: Docker['modem'], source: NodeJS.ReadableStream | Buffer, maxBytes: number, { multiplexed = true }: { multiplexed?: boolean } = {}): Promise<TailBuffer> {
  const tail = new TailBuffer(maxBytes);
  const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const demux = new FrameDemuxer((payload) => tail.push(payload));
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    stream.on('data', (chunk: Buffer) => (multiplexed ? demux.push(chunk) : tail.push(chunk)));
  });
  return tail;
}

/** Whether a buffer starts with a docker stream frame header ([1|2, 0, 0, 0, size]). */
export function looksMultiplexed(buffer: Buffer): boolean {
  if (buffer.length < 8) return buffer.length === 0;
  const kind = buffer[0];
  return (kind === 0 || kind === 1 || kind === 2) && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
}

/** The last `n` non-empty lines, for "observed" messages. */
export function lastLines(text: string, n: number): string {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}

/**
 * Splits the engine's multiplexed stream incrementally (frames of
 * [stream, 0, 0, 0, size(4, big-endian)] + payload), whatever the chunking.
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private kind = 1;

  /** `kind`: 1 stdout, 2 stderr. */
  constructor(private readonly onPayload: (payload: Buffer, kind: number) => void) {}

  push(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.remaining > 0) {
        const part = data.subarray(0, this.remaining);
        this.remaining -= part.length;
        this.onPayload(part, this.kind);
        data = data.subarray(part.length);
        continue;
      }
      if (data.length < 8) {
        this.pending = Buffer.from(data);
        return;
      }
      this.kind = data[0] ?? 1;
      this.remaining = data.readUInt32BE(4);
      data = data.subarray(8);
    }
  }
}
