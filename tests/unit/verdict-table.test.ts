import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

// scripts/verdict-table.mjs joins the suite's per-engine JSON reports: the table must count what
// each engine graded and name every check whose verdict differs between engines.
const SCRIPT = path.resolve('scripts/verdict-table.mjs');
const outcome = (name: string, failed: string[], checks: Array<[string, string, number, number]>) => ({
  case: { name, failed, skipped: [] },
  status: 'as-expected',
  differences: [],
  durationMs: 10,
  result: { score: checks.reduce((s, c) => s + c[2], 0), maxScore: checks.reduce((s, c) => s + c[3], 0), checks: checks.map(([id, status, points, maxPoints]) => ({ id, status, points, maxPoints })) },
});
const report = (cases: unknown[]) => ({ labs: [{ lab: 'lab-99', durationMs: 2000, cases, problems: [], ok: true }] });

describe('verdict-table', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'verdicts-'));
    mkdirSync(path.join(dir, 'engine20'));
    mkdirSync(path.join(dir, 'engine28'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, body: unknown) => writeFileSync(path.join(dir, file), JSON.stringify(body));

  it('counts each engine and finds no difference when every check agrees', async () => {
    const ref = outcome('reference', [], [['builds', 'passed', 2, 2], ['serves', 'passed', 3, 3]]);
    const wrong = outcome('no-expose', ['serves'], [['builds', 'passed', 2, 2], ['serves', 'failed', 0, 3]]);
    write('engine20/lab-99.json', report([ref, wrong]));
    write('engine28/lab-99.json', report([ref, wrong]));
    write('engine28/lab-99-DOCKERLAB_BUILDER_classic.json', report([ref]));
    const run = await execa('node', [SCRIPT, '--dir', dir], { reject: false });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('| lab-99 | 2/2 as expected · 1/1 refs full marks | 2/2 as expected · 1/1 refs full marks | 1/1 as expected · 1/1 refs full marks | 2 ✓ |');
    expect(run.stdout).toContain('No check differs');
  });

  it('names the check, the case and both verdicts when two engines disagree, and exits 1', async () => {
    write('engine20/lab-99.json', report([outcome('reference', [], [['serves', 'passed', 3, 3]])]));
    write('engine28/lab-99.json', report([outcome('reference', [], [['serves', 'failed', 0, 3]])]));
    const run = await execa('node', [SCRIPT, '--dir', dir, '--json'], { reject: false });
    expect(run.exitCode).toBe(1);
    const out = JSON.parse(run.stdout) as { disagreements: unknown[] };
    expect(out.disagreements).toEqual([{ lab: 'lab-99', case: 'reference', check: 'serves', engine20: 'passed 3/3', engine28: 'failed 0/3' }]);
  });
});
