import { existsSync, readFileSync } from 'node:fs';
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
