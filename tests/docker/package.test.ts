import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Result } from '../../grader/src/result.js';
import { assembleSubmission, removeDir, ROOT } from '../helpers/submissions.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/**
 * `npm pack` gives a package whose `dockerlab` bin works once installed somewhere
 * else: the labs and the stand-ins inside, or lab specs given with --labs-dir.
 */
describe('the packed grader, installed elsewhere', () => {
  let dir: string;
  let project: string;
  let tarball: string;
  const npx = (args: string[], extra: Record<string, string> = {}) =>
    execa('npx', ['--no-install', 'dockerlab', ...args], { cwd: project, reject: false, env: { NO_COLOR: '1', ...extra }, timeout: 300_000 });

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'grader/dist/cli.js'))) throw new Error('grader/dist is not built: run `npm run build` (npm ci does it) before this test');
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-pack-'));
    // --ignore-scripts: pack the bundle already built, without rebuilding grader/dist under other tests' feet.
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, info!.filename);
    project = path.join(dir, 'student-repo');
    await execa('mkdir', ['-p', project]);
    writeFileSync(path.join(project, 'package.json'), '{ "name": "student-repo", "private": true }\n');
    // From npm's cache when it has everything (CI ran `npm ci`), else from the registry.
    await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, timeout: 300_000 });
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the bundle, the labs, the stand-ins and the integrations, not the sources or the tests', async () => {
    const installed = path.join(project, 'node_modules', 'dockerlab');
    expect(existsSync(path.join(installed, 'grader/dist/cli.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'labs/lab-03/lab.json'))).toBe(true);
    expect(existsSync(path.join(installed, 'grader/src/build/stand-ins/catalog.json'))).toBe(true);
    expect(existsSync(path.join(installed, 'grader/src/sandbox/recipe/Dockerfile'))).toBe(true);
    expect(existsSync(path.join(installed, 'integrations/github/student-autograding.yml'))).toBe(true);
    // grader/src ships only the rooms' assets (the stand-ins' and the sandbox's recipes), never a source file.
    expect(filesUnder(path.join(installed, 'grader/src')).filter((f) => /\.[cm]?[jt]s$/.test(f))).toEqual([]);
    expect(existsSync(path.join(installed, 'tests'))).toBe(false);
    // The course's cases are solutions: never published.
    expect(existsSync(path.join(installed, 'labs/lab-03/tests'))).toBe(false);
    expect(readdirSync(path.join(installed, 'grader/dist')).some((f) => f.endsWith('.map'))).toBe(false);
  });

  it('npx dockerlab --help and --list work, with the labs inside the package or from --labs-dir', async () => {
    const help = await npx(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^dockerlab — grades hands-on Docker labs/);
    const list = await npx(['--list', '--lang', 'en']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/^lab-03 {2}Non-root image/m);
    const other = await npx(['--list', '--lang', 'en', '--labs-dir', path.join(ROOT, 'labs')]);
    expect(other.exitCode).toBe(0);
    expect(other.stdout).toMatch(/^lab-03 {2}Non-root image/m);
  });

  it('grades lab-03\'s reference with full marks from the installed package', async () => {
    const submission = assembleSubmission('lab-03', 'reference');
    try {
      const out = path.join(dir, 'result.json');
      const run = await npx(['grade', 'lab-03', '--submission', submission, '--reporter', `json=${out}`, '--quiet']);
      const result = JSON.parse(readFileSync(out, 'utf8')) as Result;
      expect(result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      expect(result.score).toBe(result.maxScore);
      expect(run.exitCode).toBe(0);
    } finally {
      removeDir(submission);
    }
  });

  it('a teacher\'s own lab written by npx dockerlab new-lab, outside the grader, passes npx dockerlab test-lab', async () => {
    const made = await npx(['new-lab', 'lab-95', '--workload', 'image', '--labs-dir', 'course/labs']);
    expect(made.exitCode).toBe(0);
    const spec = JSON.parse(readFileSync(path.join(project, 'course/labs/lab-95/lab.json'), 'utf8')) as { $schema: string };
    // The $schema points into the installed package, so an editor completes the spec.
    expect(path.resolve(project, 'course/labs/lab-95', spec.$schema)).toBe(path.join(project, 'node_modules/dockerlab/labs/lab.schema.json'));
    expect(existsSync(path.resolve(project, 'course/labs/lab-95', spec.$schema))).toBe(true);
    const run = await npx(['test-lab', 'lab-95', '--labs-dir', 'course/labs', '--reporter', 'junit=test-lab.xml', '--quiet']);
    expect(run.exitCode).toBe(0);
    expect(readFileSync(path.join(project, 'test-lab.xml'), 'utf8')).toContain('<testsuite name="lab-95" tests="3" failures="0" errors="0"');
  });
});
