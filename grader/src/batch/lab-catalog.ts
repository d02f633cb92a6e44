import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { fromRoot } from '../paths.js';
import { hashFolder, sha256 } from './submission-hash.js';
import type { LabInfo, WorkloadKind } from './types.js';

export const LAB_ID = /^lab-\d{2}$/;

/** A lab the teacher asked for that cannot be used: the batch refuses to start (exit 2) rather than grade a class against it. */
export class LabCatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabCatalogError';
  }
}

export function defaultLabsDir(): string {
  return fromRoot('labs');
}

/** The lab ids of a labs folder: sub-folders named lab-NN that hold a lab.json, sorted. */
export function listLabs(labsDir: string): string[] {
  if (!existsSync(labsDir)) return [];
  return readdirSync(labsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && LAB_ID.test(e.name) && existsSync(path.join(labsDir, e.name, 'lab.json')))
    .map((e) => e.name)
    .sort();
}

type Text = string | { fr?: string; en?: string } | undefined;
const both = (text: Text, fallback: string) =>
  typeof text === 'string' ? { fr: text, en: text } : { fr: text?.fr ?? text?.en ?? fallback, en: text?.en ?? text?.fr ?? fallback };

interface RawStep {
  id?: unknown;
  kind?: unknown;
  action?: unknown;
  points?: unknown;
  title?: Text;
}

/**
 * What the batch needs of a lab before grading it: its kind (for the concurrency
 * pools), its checks and points (for gradings that could not run), its hashes.
 * The full validation stays in grade(); this only reads what it uses.
 */
export function readLab(labsDir: string, id: string, lang: 'fr' | 'en' = 'fr'): LabInfo {
  const dir = path.join(labsDir, id);
  const file = path.join(dir, 'lab.json');
  if (!existsSync(file)) throw new LabCatalogError(`no lab ${id}: ${file} does not exist (labs found in ${labsDir}: ${listLabs(labsDir).join(', ') || 'none'})`);
  const text = readFileSync(file, 'utf8');
  const errors: ParseError[] = [];
  const spec = parse(text, errors, { allowTrailingComma: true }) as Record<string, unknown> | undefined;
  if (errors.length > 0 || !spec || typeof spec !== 'object') {
    const first = errors[0];
    const where = first ? ` at offset ${first.offset} (${printParseErrorCode(first.error)})` : '';
    throw new LabCatalogError(`${file}: not valid JSON${where}; fix it (npm run grade -- --validate ${id}) or leave the lab out with --labs`);
  }
  const workload = spec.workload as { kind?: unknown } | undefined;
  const kind = workload?.kind;
  if (kind !== 'image' && kind !== 'script' && kind !== 'compose') {
    throw new LabCatalogError(`${file}: workload.kind is ${JSON.stringify(kind)}, expected "image", "script" or "compose"; run npm run grade -- --validate ${id}`);
  }
  // Specs list their checks under `checks`, or under `steps` interleaved with actions (which carry no points).
  const steps = (Array.isArray(spec.steps) ? spec.steps : Array.isArray(spec.checks) ? spec.checks : []) as RawStep[];
  const checks = steps
    .filter((s) => typeof s.kind === 'string' && s.action === undefined)
    .map((s) => ({ id: String(s.id), points: typeof s.points === 'number' ? s.points : 0, title: s.title === undefined ? null : both(s.title, String(s.id))[lang] }));
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    id,
    title: both(spec.title as Text, id),
    chapter: typeof spec.chapter === 'string' ? spec.chapter : null,
    kind: kind as WorkloadKind,
    maxScore: round(checks.reduce((sum, c) => sum + c.points, 0)),
    checks,
    specHash: `sha256:${sha256(text)}`,
    starterHash: hashFolder(dir),
    dir,
  };
}

/** The labs to grade: those named (each must exist), or every lab of the folder. */
export function readCatalog(labsDir: string, only: string[] | null, lang: 'fr' | 'en' = 'fr'): LabInfo[] {
  const ids = only ?? listLabs(labsDir);
  if (ids.length === 0) throw new LabCatalogError(`no lab found in ${labsDir} (expected folders lab-NN holding a lab.json)`);
  return ids.map((id) => readLab(labsDir, id, lang));
}
