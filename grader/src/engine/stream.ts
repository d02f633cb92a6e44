/**
 * Splits the engine's multiplexed stdout/stderr stream (non-TTY containers and
 * execs): each frame is an 8-byte header [stream, 0, 0, 0, size(4, big-endian)].
 */
export function demux(buffer: Buffer): { stdout: string; stderr: string; combined: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  let offset = 0;
  if (!looksMultiplexed(buffer)) {
    const text = buffer.toString('utf8');
    return { stdout: text, stderr: '', combined: text };
  }
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? err : out).push(frame);
    all.push(frame);
    offset += 8 + size;
  }
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    combined: Buffer.concat(all).toString('utf8'),
  };
}

function looksMultiplexed(buffer: Buffer): boolean {
  if (buffer.length < 8) return buffer.length === 0;
  const kind = buffer[0];
  return (kind === 0 || kind === 1 || kind === 2) && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
}

/** The last `n` non-empty lines, for "observed" messages. */
export function lastLines(text: string, n: number): string {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}
