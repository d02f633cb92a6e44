import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { knownActions } from '../../grader/src/actions/index.js';
import { knownKinds } from '../../grader/src/checks/index.js';
import { fullLabSchema } from '../../grader/src/spec/full-schema.js';
import { InvalidSpecError, labsDir, listLabIds, loadLabFile, parseLab, writeValidatorCache } from '../../grader/src/spec/load.js';
import { knownWorkloads } from '../../grader/src/workloads/index.js';

const minimal = {
  id: 'lab-99',
  title: { fr: 'Essai', en: 'Trial' },
  workload: { kind: 'image', run: { ports: [8080] } },
  steps: [
    { id: 'builds', kind: 'image-builds', points: 1 },
    { id: 'http', kind: 'http', points: 2, port: 8080, expect: { status: 200 }, requires: ['builds'] },
  ] as Record<string, unknown>[],
};

function problemsOf(spec: unknown): InvalidSpecError['problems'] {
  try {
    parseLab(JSON.stringify(spec, null, 2), 'labs/lab-99/lab.json');
  } catch (error) {
    if (error instanceof InvalidSpecError) return error.problems;
    throw error;
  }
  throw new Error('the spec was accepted');
}
const messagesOf = (spec: unknown) => problemsOf(spec).map((p) => `${p.path} ${p.message}`);
const withSteps = (...steps: Record<string, unknown>[]) => ({ ...structuredClone(minimal), steps });

describe('lab spec validation', () => {
  it('accepts a minimal valid spec, fills defaults, and lists its checks', () => {
    const lab = parseLab(JSON.stringify(minimal));
    expect(lab.checks.map((c) => c.id)).toEqual(['builds', 'http']);
    expect(lab.workload).toMatchObject({ dockerfile: 'Dockerfile', context: '.' });
  });

  it.each(listLabIds())('%s/lab.json is valid', (id) => {
    expect(() => loadLabFile(path.join(labsDir(), id, 'lab.json'))).not.toThrow();
  });

  it('names the file, line and JSON path of an unknown check kind, and lists the known kinds', () => {
    const spec = structuredClone(minimal);
    spec.steps[1]!.kind = 'htttp';
    const [problem, ...rest] = problemsOf(spec);
    const line = JSON.stringify(spec, null, 2).split('\n').findIndex((l) => l.includes('"htttp"')) + 1;
    expect(rest).toHaveLength(0);
    expect(problem).toMatchObject({ file: 'labs/lab-99/lab.json', path: '/steps/1/kind', line, column: 7 });
    expect(problem!.message).toContain('unknown check kind "htttp"');
    for (const kind of knownKinds()) expect(problem!.message).toContain(kind);
  });

  it('reports a wrong type, an unknown property and a missing parameter with their paths', () => {
    const spec = structuredClone(minimal);
    spec.steps[0]!.points = 'two';
    spec.steps[1]!.prot = 8080;
    expect(messagesOf(spec)).toEqual(['/steps/0/points must be of type number', '/steps/1 unknown property "prot"']);
    const missing = structuredClone(minimal);
    delete missing.steps[1]!.expect;
    expect(messagesOf(missing)).toEqual(['/steps/1 missing required property "expect"']);
  });

  it('reports duplicate ids and requires that point forward or nowhere', () => {
    const spec = structuredClone(minimal);
    spec.steps[0]!.requires = ['http'];
    spec.steps.push({ id: 'http', kind: 'image-builds', points: 1, requires: ['ghost'] });
    expect(messagesOf(spec)).toEqual(expect.arrayContaining([
      '/steps/0/requires/0 "http" must come before "builds" in the steps (steps run in order)',
      '/steps/2/id duplicate step id "http"',
      '/steps/2/requires/0 no earlier step has id "ghost"',
    ]));
  });

  it('refuses a check the workload cannot feed, and a container check in a script lab that names no container', () => {
    const script = { workload: { kind: 'script', objects: {} } };
    expect(messagesOf({ ...structuredClone(minimal), ...script })).toContain('/steps/0 check kind "image-builds" observes "build", which a "script" workload does not produce and no earlier action does');
    expect(messagesOf({ ...withSteps({ id: 's', kind: 'container-state', points: 1, status: 'running' }), ...script })).toContain('/steps/0 check kind "container-state" in a "script" lab must name the container it observes ("container": "…")');
    expect(messagesOf({ ...withSteps({ id: 's', kind: 'container-state', points: 1, status: 'running' }), workload: { kind: 'image' } })).toContain("/steps/0 check kind \"container-state\" observes the workload's container, but workload.run is missing");
  });

  it('knows steps: actions between checks, each validated by its own schema', () => {
    const lab = parseLab(JSON.stringify(withSteps(
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'edit', action: 'rebuild', edit: { file: 'app.py', append: '\n# {run}\n' }, requires: ['builds'] },
      { id: 'cached', kind: 'build-cache-reused', points: 2, through: { keyword: 'RUN', contains: 'requirements' } },
      { id: 'stop', action: 'stop-container', timeoutSeconds: 5 },
      { id: 'stops', kind: 'container-stops', points: 1, maxSeconds: 3 },
    )));
    expect(lab.steps.map((s) => s.id)).toEqual(['builds', 'edit', 'cached', 'stop', 'stops']);
    expect(lab.checks.map((c) => c.id)).toEqual(['builds', 'cached', 'stops']);
  });

  it('refuses an unknown action, listing the known ones, and a step that is neither a check nor an action', () => {
    const messages = messagesOf(withSteps({ id: 'a', action: 'reboot' }, { id: 'b', points: 1 }, { id: 'c', kind: 'image-builds', action: 'wait', points: 1 }));
    expect(messages[0]).toBe(`/steps/0/action unknown action "reboot"; known actions: ${knownActions().join(', ')}`);
    expect(messages[1]).toMatch(/^\/steps\/1 a step needs "kind" \(a check, with points\) or "action"/);
    expect(messages[2]).toMatch(/^\/steps\/2 a step has either "kind" \(a check\) or "action"/);
  });

  it('refuses a check placed before the action that produces what it observes, and says where it belongs', () => {
    const messages = messagesOf(withSteps(
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'cached', kind: 'build-cache-reused', points: 2, through: { keyword: 'RUN', contains: 'x' } },
      { id: 'edit', action: 'rebuild', edit: { file: 'app.py', append: '# {run}' } },
    ));
    expect(messages).toEqual(['/steps/1 check kind "build-cache-reused" observes "rebuild", which a "image" workload does not produce and no earlier action does; action "edit" produces it: place this step after it']);
  });

  it('refuses a rebuild whose edit would be the same at every grading (the layer cache would answer for it)', () => {
    expect(messagesOf(withSteps({ id: 'b', kind: 'image-builds', points: 1 }, { id: 'e', action: 'rebuild', edit: { file: 'app.py', append: '\n# edited\n' } }))[0]).toMatch(/^\/steps\/1\/edit\/append must contain \{run\}/);
  });

  it('refuses an action the workload cannot perform', () => {
    const messages = messagesOf({ ...withSteps({ id: 'edit', action: 'rebuild', edit: { file: 'app.py', append: '# {run}' } }), workload: { kind: 'script', objects: {} } });
    expect(messages).toContain('/steps/0/action action "rebuild" needs a workload that can rebuild; a "script" workload cannot');
  });

  it('refuses an unknown workload kind, listing the known ones, and validates the workload by its own schema', () => {
    expect(messagesOf({ ...structuredClone(minimal), workload: { kind: 'vm' } })[0]).toBe(`/workload/kind unknown workload kind "vm"; known kinds: ${knownWorkloads().join(', ')}`);
    expect(messagesOf({ ...structuredClone(minimal), workload: { kind: 'script' } })).toContain('/workload missing required property "objects"');
  });

  it('keeps every path inside the submission: no absolute path, no ".." anywhere', () => {
    for (const bad of ['../../../../etc/shadow', '/etc/shadow', 'a/../../b', '..', 'C:/x']) {
      expect(messagesOf({ ...structuredClone(minimal), workload: { kind: 'image', dockerfile: bad, run: {} } })).toEqual(['/workload/dockerfile must be a relative path inside the folder (no leading "/", no ".." segment)']);
    }
    expect(messagesOf({ ...structuredClone(minimal), workload: { kind: 'image', context: '../../../../', run: {} } })).toHaveLength(1);
    expect(messagesOf({ ...structuredClone(minimal), workload: { kind: 'script', script: '../x.sh', objects: {} }, steps: [{ id: 'a', kind: 'script-completes', points: 1 }] })).toHaveLength(1);
    expect(messagesOf(withSteps({ id: 'b', kind: 'image-builds', points: 1 }, { id: 'e', action: 'rebuild', edit: { file: '../../etc/passwd', append: 'x {run}' } }))).toHaveLength(1);
    expect(() => parseLab(JSON.stringify({ ...structuredClone(minimal), workload: { kind: 'image', dockerfile: 'docker/app..Dockerfile', run: {} } }))).not.toThrow();
  });

  it('bounds points, times and sizes, naming the JSON path', () => {
    const spec = structuredClone(minimal);
    spec.steps[0]!.points = 1e12;
    spec.steps[1]!.withinSeconds = 1e9;
    expect(messagesOf(spec)).toEqual(['/steps/0/points must be <= 100', '/steps/1/withinSeconds must be <= 300']);
    expect(messagesOf({ ...structuredClone(minimal), timeoutSeconds: 99999 })).toEqual(['/timeoutSeconds must be <= 1800']);
    expect(messagesOf({ ...structuredClone(minimal), workload: { kind: 'image', buildTimeoutSeconds: -1, run: {} } })).toEqual(['/workload/buildTimeoutSeconds must be >= 5']);
  });

  it('refuses regular expressions that backtrack catastrophically', () => {
    const spec = structuredClone(minimal);
    spec.steps[1]!.expect = { bodyMatches: '^(a+)+$' };
    expect(messagesOf(spec)[0]).toMatch(/^\/steps\/1\/expect\/bodyMatches this regular expression can backtrack catastrophically/);
  });

  it('runs kind-specific validation (one of port / hostPort)', () => {
    const spec = structuredClone(minimal);
    spec.steps[1]!.hostPort = 80;
    expect(messagesOf(spec)).toContain('/steps/1 give exactly one of "port" (container port) or "hostPort"');
  });

  it('gives the line and column of a JSON syntax error', () => {
    try {
      parseLab('{\n  "id": "lab-99",\n  "title": "x",,\n}', 'bad.json');
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSpecError);
      expect((error as InvalidSpecError).problems[0]).toMatchObject({ file: 'bad.json', line: 3 });
      expect((error as Error).message).toMatch(/^bad\.json:3:\d+ \/: invalid JSON/);
    }
  });

  it('keeps labs/lab.schema.json in step with the TypeBox source (npm run schema)', () => {
    const onDisk = JSON.parse(readFileSync(path.join(labsDir(), 'lab.schema.json'), 'utf8')) as unknown;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(fullLabSchema())));
  });
});

describe('validator cache', () => {
  it('writes ajv standalone validators that accept and reject like the compiled ones', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'validators-'));
    writeValidatorCache(dir);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cjs'));
    expect(files).toHaveLength(1);
    const cached = createRequire(import.meta.url)(path.join(dir, files[0]!)) as Record<string, (d: unknown) => boolean>;
    expect(cached.shape!(structuredClone(minimal))).toBe(true);
    expect(cached.shape!({ ...structuredClone(minimal), id: 'lab-3' })).toBe(false);
    expect(cached.kind_http!({ id: 'x', kind: 'http', points: 1, port: 80, expect: {} })).toBe(true);
    expect(cached.kind_http!({ id: 'x', kind: 'http', points: 1, port: 80 })).toBe(false);
    expect(cached.action_rebuild!({ id: 'x', action: 'rebuild', edit: { file: 'a', append: 'b' } })).toBe(true);
    expect(cached.workload_image!({ kind: 'image', dockerfile: '/etc/shadow' })).toBe(false);
    expect(Object.keys(cached)).toHaveLength(knownKinds().length + knownActions().length + knownWorkloads().length + 1);
  });
});
