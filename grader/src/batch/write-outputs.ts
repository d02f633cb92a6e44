import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Lang } from '../i18n/lang.js';
import { renderJunit } from '../report/junit.js';
import { Anonymiser, anonymiseKey } from './anonymise.js';
import { writeFileAtomic } from './atomic-file.js';
import { markdownSummary } from './batch-summary.js';
import { labFeedback, studentIndex } from './feedback-markdown.js';
import { buildGradebook, type Gradebook } from './gradebook.js';
import { canvasCsv, gradebookCsv, moodleCsv } from './gradebook-csv.js';
import { renderReport } from './report-html.js';
import { BATCH_FORMAT, type BatchManifest, type GradingRecord, type ResultLine } from './types.js';

export interface OutputOptions {
  anonymise: boolean;
  env: Record<string, string | undefined>;
  now?: Date;
}

export interface WrittenOutputs {
  book: Gradebook;
  files: string[];
  /** Students the LMS exports could not include (no username, email or id to match on). */
  leftOutOfLms: { moodle: string[]; canvas: string[] } | null;
}

/**
 * Renders everything the teacher gets in OUT from the manifest and the current
 * gradings; every file is written whole (temp + rename), so a run killed while
 * writing leaves the previous, complete version. Rendering reads nothing else,
 * so `batch-merge` renders shards exactly as one batch would.
 */
export function writeOutputs(out: string, manifest: BatchManifest, records: GradingRecord[], options: OutputOptions): WrittenOutputs {
  const lang: Lang = manifest.lang;
  const anonymiser = options.anonymise ? new Anonymiser(anonymiseKey(out, options.env), manifest.students) : null;
  const scrub = (text: string) => (anonymiser ? anonymiser.scrub(text) : text);
  const book = buildGradebook(manifest, records, (identity) => anonymiser?.idOf(identity) ?? identity.key);
  const files: string[] = [];
  const write = (name: string, content: string) => {
    writeFileAtomic(path.join(out, name), content);
    files.push(name);
  };

  // Machine-readable first: the manifest and results are what batch-merge reads back.
  write('batch.json', `${JSON.stringify(anonymiser ? anonymiser.scrubJson(manifest) : manifest, null, 2)}\n`);
  const lines = records.map((record) => {
    const { result, ...batch } = record;
    const line: ResultLine = { ...result, batch };
    return JSON.stringify(anonymiser ? anonymiser.scrubJson(line) : line);
  });
  write('results.jsonl', lines.length ? `${lines.join('\n')}\n` : '');

  write('gradebook.csv', gradebookCsv(anonymiser ? { ...book, rows: book.rows.map((r) => ({ ...r, notes: r.notes.map(scrub) })) } : book, { anonymised: !!anonymiser }));
  let leftOutOfLms: WrittenOutputs['leftOutOfLms'] = null;
  if (!anonymiser) {
    const moodle = moodleCsv(book, lang);
    const canvas = canvasCsv(book, lang);
    write('moodle.csv', moodle.csv);
    write('canvas.csv', canvas.csv);
    leftOutOfLms = { moodle: moodle.leftOut, canvas: canvas.leftOut };
  } else {
    // A run without --anonymise into the same OUT left files that name the students.
    for (const name of ['moodle.csv', 'canvas.csv']) rmSync(path.join(out, name), { force: true });
  }

  const byKey = new Map(book.rows.map((r) => [r.identity.key, r]));
  for (const row of book.rows) {
    const dir = `feedback/${row.slug}`;
    write(`${dir}/README.md`, studentIndex(row, book.labs, lang));
    row.cells.forEach((cell, i) => {
      if (cell.record) write(`${dir}/${cell.lab}.md`, labFeedback(book.labs[i]!, cell.record, row.display, lang, scrub));
    });
  }

  const junitResults = records.map((r) => {
    const row = byKey.get(r.student);
    const result = anonymiser ? anonymiser.scrubJson(r.result) : r.result;
    // One suite per student and lab: the class name carries the student, so that readers which keep the first of duplicate names keep every student.
    return { ...result, lab: `${row?.display ?? r.student}/${r.lab}` };
  });
  write('junit.xml', renderJunit(junitResults, options.now ?? new Date()));

  write('summary.md', markdownSummary(manifest, book, scrub));
  write('report.html', renderReport(manifest, book, { lang, graderVersion: manifest.graderVersion, generatedAt: options.now ?? new Date(), anonymised: !!anonymiser, scrub }));
  removeStaleFeedback(out, new Set(book.rows.map((r) => r.slug)));
  return { book, files, leftOutOfLms };
}

/** Feedback folders of students no longer in the batch, or named before --anonymise: left there, they would contradict (or de-anonymise) the new outputs. */
function removeStaleFeedback(out: string, slugs: Set<string>): void {
  const dir = path.join(out, 'feedback');
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (!slugs.has(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
}

export class MergeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeInputError';
  }
}

/** Reads back what a batch wrote into OUT (its manifest and results), for batch-merge. */
export function readOutputs(out: string): { manifest: BatchManifest; records: GradingRecord[] } {
  const manifestFile = path.join(out, 'batch.json');
  if (!existsSync(manifestFile)) throw new MergeInputError(`${out} holds no batch.json: give folders written by \`npm run grade -- batch … --out DIR\` (for a shard artifact, the folder it was downloaded into)`);
  let manifest: BatchManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BatchManifest;
  } catch (error) {
    throw new MergeInputError(`${manifestFile} is not valid JSON (${(error as Error).message}); was the artifact cut short?`);
  }
  if (manifest.format !== BATCH_FORMAT) throw new MergeInputError(`${manifestFile} is of format ${JSON.stringify(manifest.format)}, this grader reads ${BATCH_FORMAT}`);
  const resultsFile = path.join(out, 'results.jsonl');
  const records: GradingRecord[] = [];
  if (existsSync(resultsFile)) {
    readFileSync(resultsFile, 'utf8').split('\n').forEach((line, index) => {
      if (!line.trim()) return;
      try {
        const { batch, ...result } = JSON.parse(line) as ResultLine;
        records.push({ ...batch, result });
      } catch (error) {
        throw new MergeInputError(`${resultsFile}:${index + 1} is not a JSON line (${(error as Error).message})`);
      }
    });
  }
  return { manifest, records };
}
