import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Never part of what a student submits for a lab. */
const IGNORED = new Set(['.git', '.DS_Store', 'Thumbs.db']);

/**
 * sha256 over the sorted relative paths, the executable bit and the bytes of every
 * file of a folder (symlinks by their target): two folders with the same files give
 * the same hash wherever they are, and any change in a file, name or mode changes it.
 */
export function hashFolder(dir: string, { exclude = [] as string[] } = {}): string {
  const hash = createHash('sha256');
  const skip = new Set([...IGNORED, ...exclude]);
  const walk = (rel: string): void => {
    const entries = readdirSync(path.join(dir, rel), { withFileTypes: true }).map((e) => e.name).filter((n) => !skip.has(n)).sort();
    for (const name of entries) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        walk(relPath);
      } else if (stat.isSymbolicLink()) {
        hash.update(`L\0${relPath}\0${readlinkSync(full)}\0`);
      } else if (stat.isFile()) {
        hash.update(`${stat.mode & 0o111 ? 'X' : 'F'}\0${relPath}\0${stat.size}\0`);
        hash.update(readFileSync(full));
      }
    }
  };
  walk('');
  return `sha256:${hash.digest('hex')}`;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
