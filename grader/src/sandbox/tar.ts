import { createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

/** One entry of an archive to write; a file's content is a buffer or a file on disk, streamed. */
export type TarSource =
  | { kind: 'directory'; name: string; mode?: number }
  | { kind: 'file'; name: string; mode?: number; data: Buffer }
  | { kind: 'file-on-disk'; name: string; mode?: number; file: string; size: number }
  | { kind: 'symlink'; name: string; target: string };

const BLOCK = 512;

/**
 * A POSIX (pax) tar archive as a stream, without the `tar` program: build
 * contexts and submissions reach the engine the same way on every machine.
 * Long names and link targets go in pax headers, which Go's archive/tar (the
 * engine) and GNU tar read.
 */
export function tarStream(entries: Iterable<TarSource>): Readable {
  return Readable.from(generate(entries), { objectMode: false });
}

async function* generate(entries: Iterable<TarSource>): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const name = entry.kind === 'directory' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    const linkName = entry.kind === 'symlink' ? entry.target : '';
    const size = entry.kind === 'file' ? entry.data.length : entry.kind === 'file-on-disk' ? entry.size : 0;
    const pax: Record<string, string> = {};
    if (Buffer.byteLength(name) > 100) pax.path = name;
    if (Buffer.byteLength(linkName) > 100) pax.linkpath = linkName;
    if (Object.keys(pax).length > 0) {
      const body = paxBody(pax);
      yield header({ name: 'PaxHeader', mode: 0o644, size: body.length, type: 'x', linkName: '' });
      yield padded(body);
    }
    const type = entry.kind === 'directory' ? '5' : entry.kind === 'symlink' ? '2' : '0';
    const mode = entry.kind === 'symlink' ? 0o777 : (entry.mode ?? (entry.kind === 'directory' ? 0o755 : 0o644));
    yield header({ name: name.slice(0, 100), mode, size, type, linkName: linkName.slice(0, 100) });
    if (entry.kind === 'file') {
      yield padded(entry.data);
    } else if (entry.kind === 'file-on-disk') {
      let written = 0;
      for await (const chunk of createReadStream(entry.file)) {
        const part = (chunk as Buffer).subarray(0, entry.size - written);
        written += part.length;
        yield part;
        if (written >= entry.size) break;
      }
      // A file that shrank while being read keeps the announced size, so the archive stays readable.
      if (written < entry.size) yield Buffer.alloc(entry.size - written);
      const rest = entry.size % BLOCK;
      if (rest) yield Buffer.alloc(BLOCK - rest);
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}

function header({ name, mode, size, type, linkName }: { name: string; mode: number; size: number; type: string; linkName: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0);
  h.fill(' ', 148, 156);
  h.write(type, 156, 1, 'latin1');
  h.write(linkName, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'latin1');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return h;
}

function octal(buffer: Buffer, offset: number, length: number, value: number): void {
  buffer.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1');
}

function paxBody(records: Record<string, string>): Buffer {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const record = ` ${key}=${value}\n`;
    // The length prefix counts itself.
    let length = Buffer.byteLength(record) + 1;
    while (String(length).length + Buffer.byteLength(record) !== length) length += 1;
    body += `${length}${record}`;
  }
  return Buffer.from(body, 'utf8');
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest ? Buffer.concat([data, Buffer.alloc(BLOCK - rest)]) : data;
}

/**
 * Every entry under `dir` (relative names, parents first), symlinks kept as links
 * (never followed: a submission's link to /etc/shadow stays a link inside).
 * Sockets, fifos and devices are skipped.
 */
export function directoryEntries(dir: string, prefix = ''): TarSource[] {
  const out: TarSource[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative)).sort()) {
      const rel = relative ? `${relative}/${name}` : name;
      const full = path.join(dir, rel);
      const stat = lstatSync(full);
      const entryName = prefix + rel;
      if (stat.isSymbolicLink()) out.push({ kind: 'symlink', name: entryName, target: readlinkSync(full) });
      else if (stat.isDirectory()) {
        out.push({ kind: 'directory', name: entryName, mode: stat.mode & 0o7777 });
        walk(rel);
      } else if (stat.isFile()) out.push({ kind: 'file-on-disk', name: entryName, mode: stat.mode & 0o7777, file: full, size: stat.size });
    }
  };
  walk('');
  return out;
}
