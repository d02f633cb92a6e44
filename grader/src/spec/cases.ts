import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * A lab's cases, as a teacher writes them: `labs/lab-NN/tests/cases.json`, one
 * entry per folder `labs/lab-NN/tests/<name>/` whose files are laid over the
 * lab's given files. An entry with no `failed` and no `skipped` expects full marks.
 */
export const CASES_FILE = 'cases.json';
export const TESTS_DIR = 'tests';

const CHECK_IDS = Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true });

export const CaseSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'The folder tests/<name>/ holding the case\'s files.' }),
    mistake: Type.Optional(Type.String({ description: 'What the case does (none, for a reference): for the reader of a failure.' })),
    failed: Type.Optional({ ...CHECK_IDS, description: 'Checks that must fail (default: none).' }),
    skipped: Type.Optional({ ...CHECK_IDS, description: 'Checks that must be skipped (default: none).' }),
    remove: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "Given files the student's folder does not have (e.g. `__pycache__`), removed before the case's files are laid over." })),
    waits: Type.Optional(Type.String({ description: 'When the mistake is waiting itself (a hung script): why its verdict takes long.' })),
  },
  { additionalProperties: false },
);
export const CasesSchema = Type.Array(CaseSchema);
export type LabCaseSpec = Static<typeof CaseSchema>;

/** A case with its expectation made explicit. */
export interface LabCase {
  name: string;
  mistake: string;
  failed: string[];
  skipped: string[];
  remove: string[];
  waits?: string;
  /** Full marks expected: nothing failed, nothing skipped. */
  reference: boolean;
}

/** A cases file a teacher must fix: says which file, which entry, what is wrong and what to do. */
export class InvalidCasesError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'InvalidCasesError';
  }
}

export function casesDir(labDir: string): string {
  return path.join(labDir, TESTS_DIR);
}

/**
 * Parses and checks a cases file against the lab's check ids and the folders
 * next to it. Every problem is collected, none thrown alone: the teacher fixes
 * them in one go.
 */
export function parseCases(text: string, options: { file: string; checkIds: readonly string[]; folders: readonly string[] | null }): LabCase[] {
  const where = options.file;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InvalidCasesError([`${where}: not JSON (${(error as Error).message}); write an array of cases, e.g. [{"name": "reference"}, {"name": "wrong-x", "failed": ["check-id"]}]`]);
  }
  if (!Value.Check(CasesSchema, data)) {
    const problems = [...Value.Errors(CasesSchema, data)].slice(0, 20).map((e) => `${where}${e.path || ''}: ${e.message}${e.path === '' ? '; write an array of cases, e.g. [{"name": "reference"}]' : ''}`);
    throw new InvalidCasesError(problems);
  }
  const problems: string[] = [];
  const known = new Set(options.checkIds);
  const seen = new Set<string>();
  const cases = data.map((spec, index): LabCase => {
    const at = `${where}/${index} (${spec.name})`;
    if (seen.has(spec.name)) problems.push(`${at}: a second case named "${spec.name}"; give each case its own name`);
    seen.add(spec.name);
    const failed = spec.failed ?? [];
    const skipped = spec.skipped ?? [];
    for (const [field, ids] of [['failed', failed], ['skipped', skipped]] as const) {
      for (const id of ids) if (!known.has(id)) problems.push(`${at}/${field}: "${id}" is not a check of the lab (its checks: ${[...known].join(', ') || 'none'})`);
    }
    for (const id of failed) if (skipped.includes(id)) problems.push(`${at}: "${id}" is both in failed and in skipped; a check has one verdict`);
    if (options.folders && !options.folders.includes(spec.name)) problems.push(`${at}: no folder ${path.join(path.dirname(where), spec.name)}/; create it with the case's files`);
    return { name: spec.name, mistake: spec.mistake ?? '', failed, skipped, remove: spec.remove ?? [], ...(spec.waits ? { waits: spec.waits } : {}), reference: failed.length === 0 && skipped.length === 0 };
  });
  for (const folder of options.folders ?? []) {
    if (!seen.has(folder)) problems.push(`${path.join(path.dirname(where), folder)}/: a folder that ${where} does not name; add {"name": "${folder}", …} with its expectation, or remove the folder`);
  }
  if (problems.length) throw new InvalidCasesError(problems);
  return cases;
}

/** The cases of a lab folder: [] when it has no tests/cases.json (a lab without cases is a problem test-lab reports, not an invalid file). */
export function readCases(labDir: string, checkIds: readonly string[]): LabCase[] {
  const file = path.join(casesDir(labDir), CASES_FILE);
  if (!existsSync(file)) return [];
  const folders = readdirSync(casesDir(labDir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  return parseCases(readFileSync(file, 'utf8'), { file, checkIds, folders });
}

/** What the lab gives the student: its folder without the spec, the statement and its cases. */
export function isGivenEntry(name: string): boolean {
  return name !== 'lab.json' && name !== 'README.md' && name !== TESTS_DIR;
}

/**
 * A submission as a student would have it: the lab's given files with the
 * case's own files laid over them (null: the untouched starter files), in a
 * fresh folder the caller removes.
 */
export function assembleCase(labDir: string, labCase: Pick<LabCase, 'name' | 'remove'> | null, tmpRoot = os.tmpdir()): string {
  const dir = mkdtempSync(path.join(tmpRoot, `dockerlab-${path.basename(labDir)}-${labCase?.name ?? 'starter'}-`));
  try {
    for (const entry of readdirSync(labDir)) {
      if (isGivenEntry(entry)) cpSync(path.join(labDir, entry), path.join(dir, entry), { recursive: true, verbatimSymlinks: true });
    }
    if (labCase) {
      for (const given of labCase.remove) {
        if (!existsSync(path.join(dir, given))) throw new InvalidCasesError([`case ${path.basename(labDir)}/${labCase.name} removes ${given}, which the lab does not give; fix its "remove"`]);
        rmSync(path.join(dir, given), { recursive: true, force: true });
      }
      const own = path.join(casesDir(labDir), labCase.name);
      if (!existsSync(own) || !statSync(own).isDirectory()) throw new InvalidCasesError([`no folder ${own}/ for case ${labCase.name}`]);
      cpSync(own, dir, { recursive: true, verbatimSymlinks: true });
    }
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
