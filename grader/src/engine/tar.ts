import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface TarEntryInfo {
  /** Path without a leading "./" or "/". */
  path: string;
  type: TarEntryType;
  size: number;
  linkTarget: string | null;
}

function typeOf(header: tarStream.Header): TarEntryType {
  switch (header.type) {
    case 'file': case 'contiguous-file': return 'file';
    case 'directory': return 'directory';
    case 'symlink': return 'symlink';
    case 'link': return 'link';
    default: return 'other';
  }
}

/**
 * Walks a tar stream entry by entry (tar-stream: ustar, GNU and pax long names),
 * never holding the archive in memory. `onEntry` may return a Buffer consumer to
 * receive the entry's data (up to `maxBytes`), or nothing to skip it.
 */
export async function walkTar(
  source: NodeJS.ReadableStream,
  onEntry: (entry: TarEntryInfo, body: Readable) => Promise<void> | void,
): Promise<void> {
  const extract = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    source.on('error', reject);
  });
  extract.on('entry', (header, body, next) => {
    const entry: TarEntryInfo = {
      path: header.name.replace(/^\.?\/+/, '').replace(/^\.$/, ''),
      type: typeOf(header),
      size: header.size ?? 0,
      linkTarget: header.linkname ?? null,
    };
    // tar-stream's entries are streamx streams: Readable enough for piping, iterating and 'data' events.
    const stream = body as unknown as Readable;
    let ended = false;
    stream.on('end', () => {
      ended = true;
    });
    Promise.resolve(onEntry(entry, stream))
      .then(() => {
        // Whatever the consumer left unread is drained before the next entry.
        if (ended) return next();
        stream.on('end', () => next());
        stream.resume();
      })
      .catch((error: unknown) => extract.destroy(error as Error));
  });
  source.pipe(extract);
  await done;
}

/** Reads up to `maxBytes` of a stream, draining the rest. */
export async function readUpTo(body: Readable, maxBytes: number): Promise<{ data: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (kept < maxBytes) {
      const part = chunk.subarray(0, maxBytes - kept);
      chunks.push(part);
      kept += part.length;
    }
    if (chunk.length > 0 && kept >= maxBytes) truncated = true;
  }
  return { data: Buffer.concat(chunks), truncated };
}

/** The first entry of an archive the engine returns for one path (`docker cp`): a file's content, or where its link points. */
export async function firstEntry(source: NodeJS.ReadableStream, maxBytes: number): Promise<{ entry: TarEntryInfo; data: Buffer | null } | null> {
  let found: { entry: TarEntryInfo; data: Buffer | null } | null = null;
  await walkTar(source, async (entry, body) => {
    if (found) return;
    found = { entry, data: entry.type === 'file' ? (await readUpTo(body, maxBytes)).data : null };
  });
  return found;
}

/** sha256 of a stream's bytes, computed while another consumer reads it. */
export function hashing(body: Readable): () => string {
  const hash = createHash('sha256');
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  return () => `sha256:${hash.digest('hex')}`;
}
