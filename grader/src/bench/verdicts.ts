import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BaseImages } from '../build/index.js';
import { createHostRuntime } from '../engine/index.js';
import { grade } from '../grade.js';
import { fromRoot } from '../paths.js';
import { writeBenchFigures } from './figures.js';
import { listLabIds, loadLabFile } from '../spec/load.js';
import { assembleCase, casesDir, CASES_FILE, readCases, type LabCase } from '../spec/cases.js';

/**
 * How long each case of each lab takes to get its verdict, warm, graded in
 * process one after the other: wrong work must be told fast (target: 8 s),
 * except where the mistake is waiting itself (a hung script, a healthcheck that
 * never turns healthy), marked `"waits"` in tests/cases.json. Prints a table, then
 * the slowest wrong variant and how many are over the target.
 * Usage: npm run bench:verdicts [-- lab-03,lab-04]
 */
const TARGET_MS = 8000;

function assemble(lab: string, variant: LabCase): string {
  return assembleCase(fromRoot('labs', lab), variant);
}

async function main(): Promise<void> {
  const wanted = process.argv[2]?.split(',');
  const runtime = createHostRuntime();
  const baseImages = new BaseImages(runtime);
  const rows: { lab: string; variant: string; ms: number; right: boolean; wrongWork: boolean; waits: string | undefined; score: string }[] = [];
  for (const lab of listLabIds().filter((l) => !wanted || wanted.includes(l))) {
    const labDir = fromRoot('labs', lab);
    if (!existsSync(path.join(casesDir(labDir), CASES_FILE))) continue;
    const variants = readCases(labDir, loadLabFile(path.join(labDir, 'lab.json')).checks.map((c) => c.id));
    // One untimed run warms the caches (base images, layer cache, sandbox store) as a class run would be.
    const warm = assemble(lab, variants[0]!);
    await grade({ lab, submission: warm, runtime, baseImages, lang: 'en', logsDir: null }).finally(() => rmSync(warm, { recursive: true, force: true }));
    for (const variant of variants) {
      const dir = assemble(lab, variant);
      const started = Date.now();
      try {
        const result = await grade({ lab, submission: dir, runtime, baseImages, lang: 'en', logsDir: null });
        const ms = Date.now() - started;
        const failed = result.checks.filter((c) => c.status === 'failed').map((c) => c.id).sort();
        const skipped = result.checks.filter((c) => c.status === 'skipped').map((c) => c.id).sort();
        const right = JSON.stringify(failed) === JSON.stringify([...variant.failed].sort()) && JSON.stringify(skipped) === JSON.stringify([...variant.skipped].sort()) && result.checks.every((c) => c.status !== 'error');
        rows.push({ lab, variant: variant.name, ms, right, wrongWork: variant.failed.length > 0, waits: variant.waits, score: `${result.score}/${result.maxScore}` });
        process.stderr.write(`${lab} ${variant.name}: ${(ms / 1000).toFixed(1)} s${right ? '' : ' (VERDICT DIFFERS FROM tests/cases.json)'}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const width = Math.max(...rows.map((r) => `${r.lab} ${r.variant}`.length));
  process.stdout.write(`${'lab / variant'.padEnd(width)}  verdict   score   note\n`);
  for (const r of rows) {
    const note = [!r.right ? 'verdict differs from tests/cases.json' : '', r.waits ? `waiting is the mistake: ${r.waits}` : '', r.wrongWork && !r.waits && r.ms > TARGET_MS ? `OVER ${TARGET_MS / 1000} s` : ''].filter(Boolean).join('; ');
    process.stdout.write(`${`${r.lab} ${r.variant}`.padEnd(width)}  ${`${(r.ms / 1000).toFixed(1)} s`.padStart(7)}  ${r.score.padStart(6)}  ${note}\n`);
  }
  const judged = rows.filter((r) => r.wrongWork && !r.waits);
  const slowest = judged.reduce((a, b) => (b.ms > a.ms ? b : a), judged[0]!);
  process.stdout.write(`\nwrong variants: ${judged.length} (+${rows.filter((r) => r.waits).length} whose mistake is waiting); over ${TARGET_MS / 1000} s: ${judged.filter((r) => r.ms > TARGET_MS).length}; slowest: ${slowest ? `${slowest.lab} ${slowest.variant} ${(slowest.ms / 1000).toFixed(1)} s` : '-'}\n`);
  process.stdout.write(`verdicts differing from tests/cases.json: ${rows.filter((r) => !r.right).length}\n`);
  // What each grading cost, for `npm run bench:class` (a class's wall time computed from it).
  const file = writeBenchFigures('verdicts', { rows: rows.map(({ lab, variant, ms, right, wrongWork, waits }) => ({ lab, variant, ms, right, wrongWork, waits: waits ?? null })) });
  process.stdout.write(`figures written to ${path.relative(process.cwd(), file)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
