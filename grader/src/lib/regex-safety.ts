import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheDir } from '../paths.js';

type Verdict = 'safe' | 'vulnerable' | 'unknown';
interface Recheck { checkSync(source: string, flags: string, params?: { timeout?: number }): { status: Verdict; complexity?: { type?: string } } }

let verdicts: Map<string, Verdict> | undefined;

const cacheFile = () => path.join(cacheDir(), 'regex-safety.json');

function cached(): Map<string, Verdict> {
  if (!verdicts) {
    try {
      verdicts = new Map(Object.entries(JSON.parse(readFileSync(cacheFile(), 'utf8')) as Record<string, Verdict>));
    } catch {
      verdicts = new Map();
    }
  }
  return verdicts;
}

function remember(key: string, verdict: Verdict): void {
  const all = cached();
  all.set(key, verdict);
  try {
    const file = cacheFile();
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(all)));
    renameSync(temporary, file);
  } catch {
    // A read-only install only loses the cache.
  }
}

/**
 * Whether a regular expression from a lab spec can backtrack catastrophically
 * (ReDoS), decided by recheck (an automaton-based checker, not a heuristic) and
 * remembered by its hash: it takes up to a second the first time, nothing after.
 */
export function regexSafety(source: string, flags: string): Verdict {
  const key = createHash('sha256').update(`${flags}/${source}`).digest('hex').slice(0, 24);
  const known = cached().get(key);
  if (known) return known;
  // Loaded on first use: it starts a worker with a native checker.
  const recheck = createRequire(import.meta.url)('recheck') as Recheck;
  let verdict: Verdict;
  try {
    verdict = recheck.checkSync(source, flags, { timeout: 10_000 }).status;
  } catch {
    verdict = 'unknown';
  }
  if (verdict !== 'unknown') remember(key, verdict);
  return verdict;
}
