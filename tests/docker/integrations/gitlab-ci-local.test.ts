import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../helpers/submissions.js';

/**
 * The README's GitLab job, run as written by gitlab-ci-local (GitLab's job semantics: image,
 * services with their alias on a job network, variables passed to services, before_script,
 * artifacts) against a Docker-in-Docker service configured as the example says. It grades
 * lab-03's reference (the job must be green) and, in a second job that differs only by the
 * submission, a wrong variant whose junit.xml must carry points and skip reasons in the
 * element text, where GitLab reads them. Both files are checked with Jenkins' XSD.
 *
 * No registry answers here: the three images the run names are provided as stand-ins, the
 * way the project provides base images (built only when the tag is missing, removed after).
 */
const EXAMPLE = path.join(ROOT, 'integrations/gitlab/.gitlab-ci.yml');
const FIXTURES = path.join(ROOT, 'tests/fixtures/gitlab-ci-local');
const GCL = path.join(ROOT, 'node_modules/gitlab-ci-local/src/index.js');
const XSDS = ['dockerlab-junit.xsd', 'jenkins-xunit-junit-10.xsd'].map((f) => path.join(ROOT, 'tests/fixtures/junit', f));
const NODE_IMAGE = 'node:20-bookworm';
const DIND_IMAGE = 'docker:28-dind';
const UTIL_IMAGE = 'docker.io/firecow/gitlab-ci-local-util:latest';
const WAIT_IMAGE = 'docker.io/sumina46/wait-for-it:latest';
const LABEL = 'dlt-gitlab-ci-local=1';

const docker = (args: string[], options: { input?: string } = {}) => execa('docker', args, { reject: false, ...options });
const exists = async (ref: string) => (await docker(['image', 'inspect', ref])).exitCode === 0;

async function build(ref: string, context: string, buildArgs: string[] = []): Promise<void> {
  const run = await execa('docker', ['build', '-q', '--label', 'dockerlab.stand-in=true', '--label', 'dlt-gitlab-ci-local.stand-in=true', ...buildArgs, '-t', ref, context], { reject: false, env: { DOCKER_BUILDKIT: '0' }, timeout: 600_000 });
  if (run.exitCode !== 0) throw new Error(`building the stand-in ${ref} failed:\n${run.stdout}\n${run.stderr}`);
}

/** The suite's Docker 28.5 image (built by `npm test`'s provisioning, scripts/engine28.sh). */
async function engine28Image(): Promise<string> {
  const run = await docker(['images', '--filter', 'label=dockerlab-engine28.recipe', '--format', '{{.Repository}}:{{.Tag}}']);
  const ref = run.stdout.split('\n').find((r) => r.startsWith('dockerlab-engine28:'));
  if (!ref) throw new Error('no Docker 28.5 engine image: run `bash scripts/engine28.sh` (npm test does it) before this test');
  return ref;
}

describe('the README\'s GitLab job under gitlab-ci-local', () => {
  let tmp: string;
  let project: string;
  const created: string[] = [];
  let run: { exitCode?: number; all?: string };
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(GCL)) throw new Error('gitlab-ci-local is missing: npm ci installs it (devDependency)');
    if ((await execa('rsync', ['--version'], { reject: false })).exitCode !== 0) throw new Error('gitlab-ci-local needs rsync: apt-get install -y rsync (npm test\'s provisioning does it)');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dlt-gitlab-'));
    const ctx = (name: string) => {
      const dir = path.join(tmp, `ctx-${name}`);
      cpSync(path.join(FIXTURES, name), dir, { recursive: true });
      return dir;
    };

    // The images the run names, when this engine does not have them.
    if (!(await exists(NODE_IMAGE))) {
      const dir = ctx('node');
      cpSync(process.execPath, path.join(dir, 'node'));
      const npmDir = (await execa('npm', ['root', '-g'])).stdout.trim();
      cpSync(path.join(npmDir, 'npm'), path.join(dir, 'npm'), { recursive: true, dereference: true });
      mkdirSync(path.join(dir, 'ca'), { recursive: true });
      const local = '/usr/local/share/ca-certificates';
      if (existsSync(local)) for (const f of readdirSync(local).filter((f) => f.endsWith('.crt'))) cpSync(path.join(local, f), path.join(dir, 'ca', f));
      await build(NODE_IMAGE, dir);
      created.push(NODE_IMAGE);
    }
    if (!(await exists(DIND_IMAGE))) {
      const dir = ctx('dind');
      mkdirSync(path.join(dir, 'seed'));
      // What lab-03's grading pulls on the dind engine (its Dockerfile's base image).
      const save = await docker(['save', '-o', path.join(dir, 'seed', 'images.tar'), 'python:3.11-slim']);
      if (save.exitCode !== 0) throw new Error(`docker save python:3.11-slim failed (npm run provision provides it): ${save.stderr}`);
      await build(DIND_IMAGE, dir, ['--build-arg', `ENGINE28=${await engine28Image()}`]);
      created.push(DIND_IMAGE);
    }
    for (const [ref, name] of [[UTIL_IMAGE, 'util'], [WAIT_IMAGE, 'wait-for-it']] as const) {
      if (await exists(ref)) continue;
      await build(ref, ctx(name));
      created.push(ref);
    }

    // --privileged where this machine's runc can start it; else the widest set it grants.
    const realDocker = (await execa('sh', ['-c', 'command -v docker'])).stdout.trim();
    env = { DLT_REAL_DOCKER: realDocker, PATH: `${FIXTURES}:${process.env.PATH}`, FORCE_COLOR: '0', NO_COLOR: '1' };
    const probe = await docker(['run', '--rm', '--privileged', 'debian:bookworm-slim', 'true']);
    if (probe.exitCode !== 0) {
      if (!/unable to apply caps/.test(probe.stderr)) throw new Error(`docker run --privileged fails here, not for a capability:\n${probe.stderr}`);
      env.DLT_NO_PRIVILEGED = '1';
      process.stdout.write('gitlab-ci-local: this runc cannot start --privileged containers (a capability missing from the bounding set): the services run with every capability it grants\n');
    }

    // The course's repository as a job sees it: the example, lab-03's reference and a wrong variant, the packed grader.
    project = path.join(tmp, 'course');
    const lab = (dest: string, variant: string) => {
      cpSync(path.join(ROOT, 'labs/lab-03/app.py'), path.join(project, dest, 'app.py'));
      cpSync(path.join(ROOT, 'labs/lab-03/tests', variant), path.join(project, dest), { recursive: true });
    };
    mkdirSync(project);
    lab('labs/lab-03', 'reference');
    lab('variants/lab-03-exits-at-once', 'wrong-exits-at-once');
    const example = readFileSync(EXAMPLE, 'utf8');
    const wrongScript = example.match(/^ {2}script:\n((?: {4}- .*\n)+)/m)![1]!.replace('--submission labs/lab-03 ', '--submission variants/lab-03-exits-at-once ');
    writeFileSync(path.join(project, '.gitlab-ci.yml'), `${example}\n# The test's second job: the same, on a wrong variant (a red grading, so allowed to fail).\ngrade-wrong-variant:\n  extends: grade\n  allow_failure: true\n  script:\n${wrongScript}`);
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT });
    expect((JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename).toBe('dockerlab-0.1.0.tgz');
    const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { cwd: project });
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-qm', 'course');

    const started = Date.now();
    run = await execa('node', [GCL, '--privileged', '--pull-policy', 'if-not-present', '--no-artifacts-to-source'], { cwd: project, env, reject: false, all: true, timeout: 1_500_000 });
    process.stdout.write(`gitlab-ci-local: both jobs in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }, 2_400_000);

  afterAll(async () => {
    // gitlab-ci-local removes what it made; whatever a failed run left is removed here, then asserted gone.
    const left = (await docker(['ps', '-aq', '--filter', `label=${LABEL}`])).stdout.split('\n').filter(Boolean);
    if (left.length) await docker(['rm', '-f', '-v', ...left]);
    const volumes = (await docker(['volume', 'ls', '-q'])).stdout.split('\n').filter((v) => v.startsWith('gcl-'));
    if (volumes.length) await docker(['volume', 'rm', '-f', ...volumes]);
    const networks = (await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith('gitlab-ci-local-'));
    if (networks.length) await docker(['network', 'rm', ...networks]);
    if (created.length) await docker(['rmi', ...created]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    expect({ left, volumes, networks }).toEqual({ left: [], volumes: [], networks: [] });
  }, 120_000);

  const junit = (job: string) => path.join(project, '.gitlab-ci-local/artifacts', job, 'junit.xml');
  const xpath = (file: string, expression: string) => execa('xmllint', ['--xpath', `string(${expression})`, file]).then((r) => r.stdout.replace(/\n$/, ''));

  it('runs green: the reference job passes (20/20), on the dind engine the example names, and the wrong variant\'s job fails as allowed', () => {
    const log = run.all ?? '';
    expect({ exitCode: run.exitCode, tail: log.split('\n').slice(-15).join('\n') }).toEqual({ exitCode: 0, tail: expect.stringMatching(/PASS {2}grade\b/) as unknown as string });
    expect(log).toMatch(/^grade +> .*20\/20/m);
    // gitlab-ci-local waited for the service's port, as GitLab's runner does.
    expect(log).not.toMatch(/healthcheck failed/);
    expect(log).toMatch(/WARN {2}grade-wrong-variant/);
    // The grader reached the containers it started where the example says they are: on the `docker` host.
    expect(log).toMatch(/^grade +> .*8080 → docker:\d+/m);
  });

  it.each(['grade', 'grade-wrong-variant'])('%s: junit.xml validates against our XSD and Jenkins\' xunit junit-10.xsd', async (job) => {
    expect(existsSync(junit(job))).toBe(true);
    for (const xsd of XSDS) {
      const lint = await execa('xmllint', ['--noout', '--schema', xsd, junit(job)], { reject: false });
      expect(`${path.basename(xsd)}: ${lint.stderr.trim()}`).toBe(`${path.basename(xsd)}: ${junit(job)} validates`);
    }
  });

  it('the reference: twelve checks, none failed; the wrong variant: the points and the reasons are in the element text, as GitLab shows them', async () => {
    expect(await xpath(junit('grade'), '/testsuites/testsuite/@tests')).toBe('12');
    expect(await xpath(junit('grade'), '/testsuites/testsuite/@failures')).toBe('0');
    const wrong = junit('grade-wrong-variant');
    expect(await xpath(wrong, 'count(//testcase[failure])')).toBe('1');
    expect(await xpath(wrong, '//testcase[failure]/@name')).toMatch(/stays-running/);
    expect(await xpath(wrong, '//testcase/failure')).toMatch(/^0\/2 pt/);
    expect(await xpath(wrong, 'count(//testcase[skipped])')).toBe('3');
    for (const name of ['http-ok', 'logs-serving', 'process-non-root']) {
      expect(await xpath(wrong, `//testcase[contains(@name, "[${name}]")]/skipped`)).toMatch(/^0\/\d+ pt\n.*(prerequisite|prérequis)/s);
    }
  });
});
