import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'tests/fixtures');

export interface Variant {
  name: string;
  mistake: string;
  failed: string[];
  skipped: string[];
  /** When the mistake is waiting itself (a hung script, a health that never turns): why its verdict takes long. */
  waits?: string;
}

export function variantsOf(lab: string): Variant[] {
  const file = path.join(FIXTURES, lab, 'variants.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Variant[]) : [];
}

/**
 * A submission as a student would have it: the lab's given files (its folder
 * without lab.json and README.md), with the variant's own files laid over them.
 */
export function assembleSubmission(lab: string, variant: string | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dockerlab-${lab}-${variant ?? 'starter'}-`));
  const labDir = path.join(ROOT, 'labs', lab);
  for (const entry of readdirSync(labDir)) {
    if (entry === 'lab.json' || entry === 'README.md') continue;
    cpSync(path.join(labDir, entry), path.join(dir, entry), { recursive: true });
  }
  if (variant) cpSync(path.join(FIXTURES, lab, variant), dir, { recursive: true });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
