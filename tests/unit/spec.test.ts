import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { InvalidSpecError, labsDir, listLabIds, loadLabFile, parseLab, writeValidatorCache } from '../../grader/src/spec/load.js';
import { fullLabSchema } from '../../grader/src/spec/full-schema.js';
import { knownKinds } from '../../grader/src/checks/index.js';

const minimal = {
  id: 'lab-99',
  title: { fr: 'Essai', en: 'Trial' },
  workload: { kind: 'image', run: { ports: [8080] } },
  checks: [
    { id: 'builds', kind: 'image-builds', points: 1 },
    { id: 'http', kind: 'http', points: 2, port: 8080, expect: { status: 200 }, requires: ['builds'] },
  ],
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

describe('lab spec validation', () => {
  it('accepts a minimal valid spec and fills defaults', () => {
    const lab = parseLab(JSON.stringify(minimal));
    expect(lab.checks).toHaveLength(2);
  });

  it.each(listLabIds())('%s/lab.json is valid', (id) => {
    expect(() => loadLabFile(path.join(labsDir(), id, 'lab.json'))).not.toThrow();
  });

  it('names the file, line and JSON path of an unknown check kind, and lists the known kinds', () => {
    const spec = structuredClone(minimal);
    spec.checks[1]!.kind = 'htttp';
    const [problem, ...rest] = problemsOf(spec);
    const line = JSON.stringify(spec, null, 2).split('\n').findIndex((l) => l.includes('"htttp"')) + 1;
    expect(rest).toHaveLength(0);
    expect(problem).toMatchObject({ file: 'labs/lab-99/lab.json', path: '/checks/1/kind', line, column: 7 });
    expect(problem!.message).toContain('unknown check kind "htttp"');
    for (const kind of knownKinds()) expect(problem!.message).toContain(kind);
  });

  it('reports a wrong type with its path', () => {
    const spec = structuredClone(minimal) as { checks: Record<string, unknown>[] };
    spec.checks[0]!.points = 'two';
    expect(problemsOf(spec)).toEqual([expect.objectContaining({ path: '/checks/0/points', message: 'must be of type number' })]);
  });

  it('reports an unknown property of a check kind', () => {
    const spec = structuredClone(minimal) as { checks: Record<string, unknown>[] };
    spec.checks[1]!.prot = 8080;
    expect(problemsOf(spec)).toEqual([expect.objectContaining({ path: '/checks/1', message: 'unknown property "prot"' })]);
  });

  it('reports a missing required parameter', () => {
    const spec = structuredClone(minimal) as { checks: Record<string, unknown>[] };
    delete spec.checks[1]!.expect;
    expect(problemsOf(spec)).toEqual([expect.objectContaining({ path: '/checks/1', message: 'missing required property "expect"' })]);
  });

  it('reports duplicate ids and requires that point forward or nowhere', () => {
    const spec = structuredClone(minimal) as { checks: Record<string, unknown>[] };
    spec.checks[0]!.requires = ['http'];
    spec.checks.push({ id: 'http', kind: 'image-builds', points: 1, requires: ['ghost'] });
    const messages = problemsOf(spec).map((p) => `${p.path} ${p.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      '/checks/0/requires/0 "http" must come before "builds" in the list (checks run in order)',
      '/checks/2/id duplicate check id "http"',
      '/checks/2/requires/0 no earlier check has id "ghost"',
    ]));
  });

  it('refuses a check kind the workload cannot feed', () => {
    const spec = { ...structuredClone(minimal), workload: { kind: 'script', objects: {} } };
    const messages = problemsOf(spec).map((p) => p.message);
    expect(messages).toContain('check kind "image-builds" observes a built image, but this lab\'s workload is "script"');
  });

  it('runs kind-specific validation (one of port / hostPort)', () => {
    const spec = structuredClone(minimal) as { checks: Record<string, unknown>[] };
    spec.checks[1]!.hostPort = 80;
    expect(problemsOf(spec).map((p) => p.message)).toContain('give exactly one of "port" (container port) or "hostPort"');
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
    expect(Object.keys(cached)).toHaveLength(knownKinds().length + 1);
  });
});
