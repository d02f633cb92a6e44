import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { labelled, NOTHING_LABELLED } from '../helpers/engine.js';
import { ROOT } from '../helpers/submissions.js';

/**
 * `npm run grade -- test-lab` and `new-lab` as a teacher runs them: the built CLI,
 * from a folder outside the repository, on the real engine.
 */
const CLI = path.join(ROOT, 'grader/dist/cli.js');
const cli = (args: string[], cwd: string) => execa('node', [CLI, ...args], { cwd, reject: false, env: { NO_COLOR: '1' }, timeout: 900_000 });

describe('test-lab and new-lab', () => {
  let tmp: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('grader/dist is not built: run `npm run build` before this test');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dlt-labtester-'));
  });
  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    for (const lab of ['lab-12', 'lab-91', 'lab-92', 'lab-93', 'lab-94']) expect(await labelled(lab)).toEqual(NOTHING_LABELLED);
  });

  it('proves lab-12 with its cases: a row per case, the JUnit report, exit 0', async () => {
    const junit = path.join(tmp, 'lab-12.xml');
    const started = Date.now();
    const run = await cli(['test-lab', 'lab-12', '--jobs', '2', '--reporter', 'terminal', '--reporter', `junit=${junit}`], tmp);
    const seconds = (Date.now() - started) / 1000;
    const cases = (JSON.parse(readFileSync(path.join(ROOT, 'labs/lab-12/tests/cases.json'), 'utf8')) as { name: string }[]).map((c) => c.name);
    expect({ code: run.exitCode, stderr: run.stderr.split('\n').filter((l) => !/^ {2}✓ |^test-lab /.test(l)).join('\n') }).toEqual({ code: 0, stderr: '' });
    for (const name of cases) expect(run.stdout).toMatch(new RegExp(`^✓  ${name} .* \\d+\\.\\d s$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^lab-12: ${cases.length}/${cases.length} case\\(s\\) as expected, 0 problem\\(s\\) of the lab, `, 'm'));
    expect(run.stdout).toMatch(/^starter files: \d+(\.\d+)?\/11$/m);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`<testsuite name="lab-12" tests="${cases.length + 1}" failures="0" errors="0"`);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(cases.length + 1);
    process.stdout.write(`test-lab lab-12: ${cases.length} cases + starter in ${seconds.toFixed(1)} s\n`);
  }, 900_000);

  it.each(['image', 'script', 'compose'] as const)('new-lab --workload %s outside the repository passes test-lab at once', async (kind) => {
    const id = { image: 'lab-91', script: 'lab-92', compose: 'lab-93' }[kind];
    const labs = path.join(tmp, 'course', 'labs');
    const made = await cli(['new-lab', id, '--workload', kind, '--labs-dir', 'course/labs'], tmp);
    expect(made.exitCode).toBe(0);
    expect(made.stdout).toContain(`wrote ${path.join(labs, id)}/`);
    const run = await cli(['test-lab', id, '--labs-dir', 'course/labs'], tmp);
    expect(run.stdout).toMatch(new RegExp(`^${id}: 2/2 case\\(s\\) as expected, 0 problem\\(s\\) of the lab`, 'm'));
    expect(run.exitCode).toBe(0);
  }, 300_000);

  it('a wrong expectation: exit 1, the check that differs, and the lab problems it causes', async () => {
    const made = await cli(['new-lab', 'lab-94', '--workload', 'image', '--labs-dir', tmp], tmp);
    expect(made.exitCode).toBe(0);
    // The teacher names only one of the three checks the wrong case fails.
    writeFileSync(path.join(tmp, 'lab-94', 'tests', 'cases.json'), '[{"name": "reference"}, {"name": "wrong-port-9090", "failed": ["label-version"]}]\n');
    const run = await cli(['test-lab', path.join(tmp, 'lab-94')], tmp);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^✗  wrong-port-9090 +fails label-version +fails exposes-8080, http-ok, label-version +exposes-8080: passed→failed, http-ok: passed→failed /m);
    expect(run.stdout).toMatch(/^ {4}http-ok: expected passed, observed failed — /m);
    expect(run.stdout).toContain('  - wrong-port-9090 loses points on exposes-8080 (failed), a check it does not name');
    expect(run.stdout).toMatch(/^lab-94: 1\/2 case\(s\) as expected, 2 problem\(s\) of the lab/m);
  }, 300_000);
});
