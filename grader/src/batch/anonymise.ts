import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { STATE_DIR } from './grading-store.js';
import type { StudentIdentity } from './types.js';

/**
 * The secret behind anonymous ids: DOCKERLAB_ANONYMISE_KEY when set (the same ids
 * across OUT folders, machines and terms), else one made at the first anonymised
 * run and kept in OUT/.dockerlab-batch/ (the same ids at every run into that OUT).
 * A keyed hash, not a plain one: without the key, nobody can hash the class list
 * and find out who is who.
 */
export function anonymiseKey(out: string, env: Record<string, string | undefined>): string {
  if (env.DOCKERLAB_ANONYMISE_KEY) return env.DOCKERLAB_ANONYMISE_KEY;
  const file = path.join(out, STATE_DIR, 'anonymise.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('hex');
  writeFileAtomic(file, `${key}\n`);
  return key;
}

export function anonymousId(secret: string, studentKey: string): string {
  return `anon-${createHmac('sha256', secret).update(studentKey).digest('hex').slice(0, 8)}`;
}

/** Replaces, in any text, everything that names a student (key, name, email, folder names) with their anonymous id. */
export class Anonymiser {
  private readonly pattern: RegExp | null;
  private readonly replacement = new Map<string, string>();
  readonly ids = new Map<string, string>();

  constructor(secret: string, students: { identity: StudentIdentity; folders: string[] }[], extraPaths: string[] = []) {
    const pairs: [string, string][] = [];
    for (const { identity, folders } of students) {
      const id = anonymousId(secret, identity.key);
      this.ids.set(identity.key, id);
      const names = [identity.key, identity.name, identity.email, identity.username, identity.studentId, identity.sisLoginId, identity.sisUserId, ...folders, ...folders.map((f) => path.basename(f))];
      for (const name of names) if (name && name.length >= 2) pairs.push([name, id]);
    }
    for (const p of extraPaths) pairs.push([p, '…']);
    for (const [from, to] of pairs) if (!this.replacement.has(from)) this.replacement.set(from, to);
    // Longest first ("alice-martin" before "alice"), and whole words only: a student called "al" must not turn "total" into "tot…".
    const escaped = [...this.replacement.keys()].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = escaped.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join('|')})(?![\\p{L}\\p{N}])`, 'gu') : null;
  }

  idOf(identity: StudentIdentity): string {
    return this.ids.get(identity.key) ?? identity.key;
  }

  scrub(text: string): string {
    return this.pattern ? text.replace(this.pattern, (found) => this.replacement.get(found) ?? found) : text;
  }

  /** Every string of a JSON value scrubbed, the structure unchanged. */
  scrubJson<T>(value: T): T {
    return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'string' ? this.scrub(v) : v)) as T;
  }
}
