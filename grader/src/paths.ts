import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The repository root (where package.json names "dockerlab"), whether this code runs from sources, tests or the bundle. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'dockerlab') return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the dockerlab package root');
    dir = parent;
  }
}

export const fromRoot = (...parts: string[]): string => path.join(packageRoot(), ...parts);

let cache: string | undefined;

/**
 * Where the grader keeps what it may recompute (compiled validators, regex
 * verdicts): DOCKERLAB_CACHE_DIR, else .dockerlab/cache in the package when it
 * is writable (a clone of the course), else the user's cache folder (a
 * read-only global install).
 */
export function cacheDir(): string {
  if (cache) return cache;
  const chosen = process.env.DOCKERLAB_CACHE_DIR;
  if (chosen) return (cache = chosen);
  const own = fromRoot('.dockerlab', 'cache');
  try {
    mkdirSync(own, { recursive: true });
    accessSync(own, constants.W_OK);
    return (cache = own);
  } catch {
    return (cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'dockerlab'));
  }
}
