import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/submissions.js';

const RUN = path.join(ROOT, 'integrations/prairielearn/run.sh');
const NEW = path.join(ROOT, 'integrations/prairielearn/new-question.sh');
/** PrairieLearn's ceiling for externalGradingOptions.timeout (docs/externalGrading.md: "cannot exceed 600 seconds"). */
const PL_MAX_TIMEOUT = 600;

interface Info { uuid: string; externalGradingOptions: { timeout: number; entrypoint: string; environment: Record<string, string> } }

describe('integrations/prairielearn/new-question.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-plq-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const make = (lab: string, sub: string, ...files: string[]) => {
    const out = spawnSync('bash', [NEW, lab, path.join(dir, sub), ...files], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    return {
      info: JSON.parse(readFileSync(path.join(dir, sub, 'info.json'), 'utf8')) as Info,
      html: readFileSync(path.join(dir, sub, 'question.html'), 'utf8'),
    };
  };

  it('two questions never share a uuid, and none is the all-zero one', () => {
    const a = make('lab-03', 'a').info.uuid;
    const b = make('lab-03', 'b').info.uuid;
    for (const uuid of [a, b]) expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('the question shows the tests (<pl-external-grader-results>) and asks for the lab\'s deliverable', () => {
    expect(make('lab-03', 'q3').html).toMatch(/<pl-submission-panel>[\s\S]*<pl-external-grader-results><\/pl-external-grader-results>[\s\S]*<\/pl-submission-panel>/);
    expect(make('lab-03', 'q3b').html).toContain('<pl-file-upload file-names="Dockerfile">');
    expect(make('lab-01', 'q1').html).toContain('<pl-file-upload file-names="commands.sh">');
    expect(make('lab-09', 'q9', 'compose.yaml', 'nginx/default.conf').html).toContain('<pl-file-upload file-names="compose.yaml, nginx/default.conf">');
  });

  it('the time budget reaches the grader, below PrairieLearn\'s timeout, itself within PrairieLearn\'s ceiling and above every lab\'s own script and compose budgets', () => {
    for (const lab of ['lab-01', 'lab-03', 'lab-09', 'lab-11']) {
      const { info } = make(lab, lab);
      const { timeout, environment } = info.externalGradingOptions;
      const budget = Number(environment.DOCKERLAB_TIME_BUDGET);
      expect(timeout).toBeLessThanOrEqual(PL_MAX_TIMEOUT);
      // run.sh stops the grader at the budget and gives it 30 s to clean up (timeout --kill-after=30).
      expect(budget + 30).toBeLessThan(timeout);
      const spec = JSON.parse(readFileSync(path.join(ROOT, 'labs', lab, 'lab.json'), 'utf8')) as { workload: { timeoutSeconds?: number; upTimeoutSeconds?: number } };
      expect(spec.workload.timeoutSeconds ?? spec.workload.upTimeoutSeconds ?? 0).toBeLessThan(budget);
      expect(environment.DOCKERLAB_LAB).toBe(lab);
    }
  });

  it('the shipped question.html is the one it makes', () => {
    expect(readFileSync(path.join(ROOT, 'integrations/prairielearn/question.html'), 'utf8')).toBe(make('lab-03', 'shipped').html);
  });
});

describe('integrations/prairielearn/run.sh', () => {
  let dir: string;
  let root: string;
  let bin: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hrep-plrun-'));
    root = path.join(dir, 'grade');
    bin = path.join(dir, 'bin');
    mkdirSync(path.join(root, 'student'), { recursive: true });
    mkdirSync(bin);
    writeFileSync(path.join(root, 'student', 'Dockerfile'), 'FROM python:3.11-slim # the student\'s\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const dockerlab = (body: string) => {
    writeFileSync(path.join(bin, 'dockerlab'), `#!/usr/bin/env bash\nfor a in "$@"; do case $a in prairielearn=*) results=\${a#prairielearn=} ;; esac; done\nprev=; for a in "$@"; do [ "$prev" = --submission ] && sub=$a; prev=$a; done\n${body}\n`);
    chmodSync(path.join(bin, 'dockerlab'), 0o755);
  };
  const run = (env: Record<string, string> = {}) => {
    const started = Date.now();
    const out = spawnSync('bash', [RUN], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, DOCKERLAB_GRADE_ROOT: root, DOCKERLAB_LAB: 'lab-03', DOCKER_HOST: 'tcp://127.0.0.1:9', DOCKERLAB_LABS_DIR: path.join(ROOT, 'labs'), ...env },
    });
    return { ...out, seconds: (Date.now() - started) / 1000 };
  };
  const results = () => JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8')) as { gradable?: boolean; score?: number; message?: string };

  it('grades the student\'s files laid over the lab\'s given files, and keeps the grader\'s results', () => {
    dockerlab(`ls "$sub" > ${dir}/files; cat "$sub/Dockerfile" > ${dir}/dockerfile; echo '{"gradable": true, "score": 0.5, "tests": []}' > "$results"; exit 1`);
    expect(run().status).toBe(0);
    expect(results()).toEqual({ gradable: true, score: 0.5, tests: [] });
    const files = readFileSync(path.join(dir, 'files'), 'utf8').trim().split('\n');
    expect(files).toContain('app.py');
    expect(files).not.toContain('lab.json');
    expect(readFileSync(path.join(dir, 'dockerfile'), 'utf8')).toContain('the student\'s');
  });

  it('stops the grader at its time budget, before PrairieLearn would, and says the attempt does not count', () => {
    dockerlab('trap \'exit 143\' TERM; sleep 30 & wait');
    const out = run({ DOCKERLAB_TIME_BUDGET: '1' });
    expect(out.status).toBe(0);
    expect(out.seconds).toBeLessThan(10);
    expect(results()).toMatchObject({ gradable: false });
    expect(results().message).toContain('longer than the 1 s this question allows');
  });

  it('a grader failure (no engine) is not gradable: no attempt used', () => {
    dockerlab('echo \'{"gradable": true, "score": 0\' > "$results"; exit 3');
    run();
    expect(results()).toMatchObject({ gradable: false });
    expect(results().message).toContain('exit code 3');
  });
});
