#!/usr/bin/env node
// The per-engine verdict table: every lab's cases as graded on each engine the suite runs,
// side by side, and every case whose verdict (a check's status or points) differs between
// engines. It joins the JSON reports the suite writes (`test-lab --reporter json=FILE`'s shape):
//   .dockerlab/engine20/<lab>.json                          labs.test, this machine's engine
//   .dockerlab/engine28/<lab>.json                          engine28.test, Docker 28.5, BuildKit
//   .dockerlab/engine28/<lab>-DOCKERLAB_BUILDER_classic.json  the same engine, the classic builder
// Usage: node scripts/verdict-table.mjs [--dir .dockerlab] [--json]
// Exit code 1 when two engines disagree on a case, or a case is not as its cases.json expects.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const dir = args.includes('--dir') ? args[args.indexOf('--dir') + 1] : '.dockerlab';
const asJson = args.includes('--json');

const ENGINES = [
  { key: 'engine20', title: 'Docker 20.10 · overlay2', folder: 'engine20', suffix: '' },
  { key: 'engine28', title: 'Docker 28.5 · containerd · BuildKit', folder: 'engine28', suffix: '' },
  { key: 'engine28-classic', title: 'Docker 28.5 · containerd · classic builder', folder: 'engine28', suffix: '-DOCKERLAB_BUILDER_classic' },
];

/** lab → engine key → case name → { status, score, maxScore, checks: { id: "status points" } } */
const table = new Map();
const durations = {};
for (const engine of ENGINES) {
  const folder = path.join(dir, engine.folder);
  if (!existsSync(folder)) continue;
  for (const file of readdirSync(folder).sort()) {
    const m = /^(lab-\d+)(.*)\.json$/.exec(file);
    if (!m || m[2] !== engine.suffix) continue;
    const { labs } = JSON.parse(readFileSync(path.join(folder, file), 'utf8'));
    for (const report of labs) {
      durations[engine.key] = (durations[engine.key] ?? 0) + (report.durationMs ?? 0);
      const byCase = new Map();
      for (const outcome of report.cases) {
        const r = outcome.result;
        byCase.set(outcome.case.name, {
          status: outcome.status,
          reference: outcome.case.failed.length === 0 && outcome.case.skipped.length === 0,
          score: r ? r.score : null,
          maxScore: r ? r.maxScore : null,
          checks: r ? Object.fromEntries(r.checks.map((c) => [c.id, `${c.status} ${c.points}/${c.maxPoints}`])) : { error: outcome.error ?? 'not graded' },
        });
      }
      if (!table.has(report.lab)) table.set(report.lab, new Map());
      table.get(report.lab).set(engine.key, byCase);
    }
  }
}

const rows = [];
const disagreements = [];
const unexpected = [];
for (const lab of [...table.keys()].sort()) {
  const engines = table.get(lab);
  const row = { lab };
  for (const engine of ENGINES) {
    const cases = engines.get(engine.key);
    if (!cases) { row[engine.key] = null; continue; }
    const all = [...cases.values()];
    row[engine.key] = {
      cases: all.length,
      asExpected: all.filter((c) => c.status === 'as-expected').length,
      references: all.filter((c) => c.reference).length,
      fullMarks: all.filter((c) => c.reference && c.score !== null && c.score === c.maxScore).length,
    };
    for (const [name, c] of cases) if (c.status !== 'as-expected') unexpected.push({ lab, engine: engine.key, case: name, status: c.status });
  }
  // Every case graded on two engines or more: the same checks with the same status and points.
  const names = new Set([...engines.values()].flatMap((cases) => [...cases.keys()]));
  let compared = 0;
  for (const name of names) {
    const seen = ENGINES.filter((e) => engines.get(e.key)?.has(name)).map((e) => [e.key, engines.get(e.key).get(name)]);
    if (seen.length < 2) continue;
    compared += 1;
    const [firstKey, first] = seen[0];
    for (const [key, other] of seen.slice(1)) {
      const ids = new Set([...Object.keys(first.checks), ...Object.keys(other.checks)]);
      for (const id of ids) {
        if (first.checks[id] !== other.checks[id]) disagreements.push({ lab, case: name, check: id, [firstKey]: first.checks[id] ?? '-', [key]: other.checks[id] ?? '-' });
      }
    }
  }
  row.comparedCases = compared;
  rows.push(row);
}

if (asJson) {
  console.log(JSON.stringify({ rows, disagreements, unexpected, durationsMs: durations }, null, 1));
} else {
  const present = ENGINES.filter((e) => rows.some((r) => r[e.key]));
  const cell = (c) => (c ? `${c.asExpected}/${c.cases} as expected · ${c.fullMarks}/${c.references} refs full marks` : '—');
  console.log(`| lab | ${present.map((e) => e.title).join(' | ')} | cases on ≥2 engines, same verdict |`);
  console.log(`|---|${present.map(() => '---').join('|')}|---|`);
  for (const r of rows) {
    const bad = disagreements.filter((d) => d.lab === r.lab).length;
    console.log(`| ${r.lab} | ${present.map((e) => cell(r[e.key])).join(' | ')} | ${r.comparedCases}${bad ? ` (${bad} check(s) differ)` : ' ✓'} |`);
  }
  const total = (key, field) => rows.reduce((s, r) => s + (r[key]?.[field] ?? 0), 0);
  console.log(`| **all** | ${present.map((e) => `${total(e.key, 'asExpected')}/${total(e.key, 'cases')} · ${total(e.key, 'fullMarks')}/${total(e.key, 'references')}`).join(' | ')} | ${rows.reduce((s, r) => s + r.comparedCases, 0)} |`);
  console.log();
  console.log(`Grading time summed per engine (test-lab's per-lab durations, cases a few at once): ${present.map((e) => `${e.title} ${Math.round((durations[e.key] ?? 0) / 1000)} s`).join('; ')}`);
  if (disagreements.length) {
    console.log('\nChecks whose verdict differs between engines:');
    for (const d of disagreements) console.log(`- ${JSON.stringify(d)}`);
  } else console.log('No check differs between engines on any case graded on more than one.');
  if (unexpected.length) {
    console.log('\nCases not as their cases.json expects:');
    for (const u of unexpected) console.log(`- ${u.lab} ${u.case} on ${u.engine}: ${u.status}`);
  }
}
process.exitCode = disagreements.length || unexpected.length ? 1 : 0;
