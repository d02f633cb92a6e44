import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parseShard } from '../../grader/src/batch/shard.js';
import { ROOT } from '../helpers/submissions.js';

const { validateWorkflow } = createRequire(import.meta.url)('@action-validator/core') as typeof import('@action-validator/core');

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix: Record<string, unknown> };
  outputs?: Record<string, string>;
  steps: Step[];
}

describe('the batch-grade GitHub Actions workflow', () => {
  const text = readFileSync(path.join(ROOT, '.github/workflows/batch-grade.yml'), 'utf8');
  const workflow = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };

  it('is a valid workflow', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('grades a matrix of shards, one runner each, none cancelling the others, each uploading its results', () => {
    const grade = workflow.jobs.grade!;
    expect(grade.needs).toBe('prepare');
    expect(grade.strategy).toEqual({ 'fail-fast': false, matrix: { shard: '${{ fromJSON(needs.prepare.outputs.shards) }}' } });
    const run = grade.steps.find((s) => s.run?.includes('npm run grade -- '))!;
    expect(run.run).toContain('--shard "$SHARD"');
    expect(run.env!.SHARD).toBe('${{ matrix.shard }}/${{ needs.prepare.outputs.count }}');
    expect(run.env!.OUT).toBe('results/shard-${{ matrix.shard }}');
    const upload = grade.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('${{ !cancelled() }}');
    expect(upload.with).toMatchObject({ name: 'grades-shard-${{ matrix.shard }}', path: 'results/' });
  });

  it('merges whatever shards there are, even after a failed one: !cancelled(), merge-multiple, batch-merge', () => {
    const merge = workflow.jobs.merge!;
    expect(merge.needs).toBe('grade');
    expect(merge.if).toBe('${{ !cancelled() }}');
    const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with).toEqual({ pattern: 'grades-shard-*', path: 'shards', 'merge-multiple': true });
    const run = merge.steps.find((s) => s.run?.includes('batch-merge'))!;
    expect(run.run).toContain('batch-merge shards/shard-* --out grades');
    expect(run.run).toContain('GITHUB_STEP_SUMMARY');
  });

  it('the matrix the prepare step writes is the list 1..n, and each shard argument is one --shard accepts', () => {
    const script = workflow.jobs.prepare!.steps.find((s) => s.run?.includes('GITHUB_OUTPUT'))!.run!;
    const code = /node -e '([\s\S]*)'/.exec(script)![1]!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hbat-gh-'));
    const outFile = path.join(dir, 'output');
    execFileSync(process.execPath, ['-e', code], { env: { ...process.env, SHARDS: '5', GITHUB_OUTPUT: outFile } });
    const written = readFileSync(outFile, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(written).toBe('count=5\nshards=[1,2,3,4,5]\n');
    for (const i of [1, 2, 3, 4, 5]) expect(parseShard(`${i}/5`)).toEqual({ index: i, count: 5 });
    expect(() => execFileSync(process.execPath, ['-e', code], { env: { ...process.env, SHARDS: '0', GITHUB_OUTPUT: '/dev/null' }, stdio: 'pipe' })).toThrow();
  });

  it('the validator does reject a broken workflow', () => {
    expect(validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs-on: [')).errors.length).toBeGreaterThan(0);
  });
});

interface Container {
  name: string;
  image: string;
  args: string[];
  env?: { name: string; value: string }[];
  restartPolicy?: string;
  securityContext?: { privileged?: boolean };
}
interface JobDoc {
  apiVersion: string;
  kind: string;
  spec: { completionMode?: string; completions: number; parallelism?: number; template: { spec: { restartPolicy: string; initContainers?: Container[]; containers: Container[] } } };
}

describe('the Kubernetes Indexed Job', () => {
  const docs = (file: string) => parseAllDocuments(readFileSync(path.join(ROOT, 'integrations/kubernetes', file), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJSON() as JobDoc;
  });

  it('is an Indexed Job whose pods grade shard JOB_COMPLETION_INDEX+1 of SHARDS, with a Docker-in-Docker sidecar', () => {
    const [job] = docs('batch-job.yaml');
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed', completions: 4, parallelism: 4 } });
    const pod = job!.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const sidecar = pod.initContainers!.find((c) => c.name === 'dind')!;
    expect(sidecar).toMatchObject({ image: expect.stringMatching(/^docker:.*dind$/), restartPolicy: 'Always', securityContext: { privileged: true } });
    expect(sidecar.args).toContain('--host=tcp://127.0.0.1:2375');
    const grader = pod.containers[0]!;
    const env = Object.fromEntries((grader.env ?? []).map((e) => [e.name, e.value]));
    expect(env.DOCKER_HOST).toBe('tcp://127.0.0.1:2375');
    expect(Number(env.SHARDS)).toBe(job!.spec.completions);
    // The pod's command, run by bash as Kubernetes would, for every index.
    const command = grader.args[0]!.replace(/^exec /m, '').replace('exec node', 'echo node');
    for (let index = 0; index < job!.spec.completions; index++) {
      const line = execFileSync('bash', ['-c', command], { env: { ...process.env, JOB_COMPLETION_INDEX: String(index), SHARDS: env.SHARDS! } }).toString().trim();
      expect(line).toBe(`node grader/dist/cli.js batch /class --out /results/shard-${index + 1} --shard ${index + 1}/4 --jobs 4`);
      expect(parseShard(`${index + 1}/4`).index).toBe(index + 1);
    }
  });

  it('the merge Job merges every shard folder into one', () => {
    const [merge] = docs('batch-merge-job.yaml');
    expect(merge).toMatchObject({ kind: 'Job', spec: { template: { spec: { restartPolicy: 'Never' } } } });
    expect(merge!.spec.template.spec.containers[0]!.args[0]).toBe('exec node grader/dist/cli.js batch-merge /results/shard-* --out /results/merged');
  });
});
