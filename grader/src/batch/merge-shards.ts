import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { compareKeys, sortProblems } from './discover.js';
import { GradingStore, sameKey } from './grading-store.js';
import { BATCH_FORMAT, type BatchManifest, type GradingRecord } from './types.js';
import { MergeInputError, readOutputs } from './write-outputs.js';

export interface MergedBatch {
  manifest: BatchManifest;
  records: GradingRecord[];
  /** Things the teacher must know but that do not prevent the merge (a missing shard). */
  warnings: string[];
}

const sameLabs = (a: BatchManifest, b: BatchManifest) =>
  a.labs.length === b.labs.length && a.labs.every((l, i) => l.id === b.labs[i]!.id && l.specHash === b.labs[i]!.specHash);

/**
 * The shards of one batch as the batch itself would have been: the union of
 * their students, problems and gradings. Shards graded against different labs,
 * specs, languages or deadlines cannot be one gradebook and are refused; a
 * missing shard (a runner that failed) is merged without and reported, so that
 * the teacher still gets the rest.
 */
export function mergeShards(dirs: string[], out: string): MergedBatch {
  if (dirs.length === 0) throw new MergeInputError('give at least one OUT folder to merge');
  const inputs = dirs.map((dir) => ({ dir, ...readOutputs(dir) }));
  const first = inputs[0]!;
  const warnings: string[] = [];
  for (const input of inputs.slice(1)) {
    if (!sameLabs(first.manifest, input.manifest)) {
      throw new MergeInputError(`${input.dir} was graded on other labs or lab specs than ${first.dir} (${input.manifest.labs.map((l) => l.id).join(', ')} vs ${first.manifest.labs.map((l) => l.id).join(', ')}, or a changed lab.json): grade every shard with the same course repository`);
    }
    if (input.manifest.lang !== first.manifest.lang) throw new MergeInputError(`${input.dir} is in ${input.manifest.lang}, ${first.dir} in ${first.manifest.lang}: give every shard the same --lang`);
    if (input.manifest.before !== first.manifest.before) throw new MergeInputError(`${input.dir} has deadline ${input.manifest.before ?? 'none'}, ${first.dir} ${first.manifest.before ?? 'none'}: give every shard the same --before`);
    if (input.manifest.graderVersion !== first.manifest.graderVersion) warnings.push(`${input.dir} was graded by dockerlab ${input.manifest.graderVersion}, ${first.dir} by ${first.manifest.graderVersion}`);
  }

  const shards = inputs.map((i) => i.manifest.shard).filter((s): s is NonNullable<typeof s> => s !== null);
  let missingShards = false;
  if (shards.length > 0) {
    const count = shards[0]!.count;
    if (shards.some((s) => s.count !== count)) throw new MergeInputError(`the shards were cut differently (${shards.map((s) => `${s.index}/${s.count}`).join(', ')}): use the same n in every --shard i/n`);
    const seen = new Map<number, string>();
    inputs.forEach((input) => {
      const s = input.manifest.shard;
      if (!s) return;
      const other = seen.get(s.index);
      if (other) throw new MergeInputError(`shard ${s.index}/${count} is given twice: ${other} and ${input.dir}`);
      seen.set(s.index, input.dir);
    });
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
    if (missing.length > 0) {
      missingShards = true;
      warnings.push(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: ${missing.length > 1 ? 'their' : 'its'} students are not in the merged gradebook; run ${missing.length > 1 ? 'them' : 'it'} again and merge once more`);
    }
  }

  const students = new Map<string, BatchManifest['students'][number]>();
  for (const input of inputs) {
    for (const student of input.manifest.students) {
      if (students.has(student.identity.key)) warnings.push(`student ${student.identity.key} is in more than one input; the one from ${input.dir} is kept`);
      students.set(student.identity.key, student);
    }
  }
  const problems = new Map<string, BatchManifest['problems'][number]>();
  for (const input of inputs) for (const p of input.manifest.problems) problems.set(JSON.stringify(p), p);

  const records = new Map<string, GradingRecord>();
  for (const input of inputs) {
    // The shard's logs come along, and the paths that point at them (written on another runner, maybe) now point at the merged OUT.
    const logs = path.join(input.dir, 'logs');
    if (existsSync(logs)) cpSync(logs, path.join(out, 'logs'), { recursive: true });
    const from = JSON.stringify(path.join(input.manifest.outDir, 'logs')).slice(1, -1);
    const to = JSON.stringify(path.join(out, 'logs')).slice(1, -1);
    for (const original of input.records) {
      const record = from === to ? original : (JSON.parse(JSON.stringify(original).split(from).join(to)) as GradingRecord);
      const slot = `${record.student}\0${record.lab}`;
      const other = records.get(slot);
      if (!other || other.gradedAt < record.gradedAt) records.set(slot, record);
    }
  }
  const sortedStudents = [...students.values()].sort((a, b) => compareKeys(a.identity.key, b.identity.key));
  const labOrder = new Map(first.manifest.labs.map((l, i) => [l.id, i]));
  const order = new Map(sortedStudents.map((s, i) => [s.identity.key, i]));
  const mergedRecords = [...records.values()]
    .filter((r) => order.has(r.student))
    .sort((a, b) => order.get(a.student)! - order.get(b.student)! || labOrder.get(a.lab)! - labOrder.get(b.lab)!);

  const manifest: BatchManifest = {
    format: BATCH_FORMAT,
    graderVersion: first.manifest.graderVersion,
    lang: first.manifest.lang,
    labs: first.manifest.labs,
    students: sortedStudents,
    problems: sortProblems([...problems.values()]),
    shard: null,
    before: first.manifest.before,
    complete: !missingShards && inputs.every((i) => i.manifest.complete),
    outDir: out,
    generatedAt: new Date().toISOString(),
  };
  return { manifest, records: mergedRecords, warnings };
}

/** Puts the merged gradings into OUT's store, so that a later `batch … --out OUT` (a regrade on the teacher's machine) starts from them. */
export function seedStore(out: string, records: GradingRecord[]): number {
  const store = GradingStore.open(out);
  let added = 0;
  try {
    for (const record of records) {
      const latest = store.latestOf(record.student, record.lab);
      if (latest && sameKey(latest, record) && latest.gradedAt >= record.gradedAt) continue;
      store.append(record);
      added += 1;
    }
  } finally {
    store.close();
  }
  return added;
}
