import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv as AjvClass, ErrorObject } from 'ajv';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { CHECK_KINDS, checkKind, knownKinds } from '../checks/index.js';
import { needsOf } from '../checks/types.js';
import { fromRoot } from '../paths.js';
import { checkSchema, LabShape, type Lab } from './schema.js';

/** One thing wrong with a lab spec: where (file, line, JSON path) and what was expected. */
export interface SpecProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export class InvalidSpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InvalidSpecError';
  }
}

export function formatProblem(p: SpecProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.path || '/'}: ${p.message}`;
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: true };
const requireHere = createRequire(import.meta.url);
const validators = new Map<string, Validate>();
let ajv: AjvClass | undefined;

function newAjv(extra: object = {}): AjvClass {
  // Required lazily, outside the bundle: compiling schemas is the one costly start-up step, and a cache hit skips it.
  const { Ajv } = requireHere('ajv') as typeof import('ajv');
  return new Ajv({ ...AJV_OPTIONS, ...extra });
}

function validator(key: string, schema: object): Validate {
  let v = validators.get(key);
  if (!v) {
    ajv ??= newAjv();
    v = ajv.compile(schema) as Validate;
    validators.set(key, v);
  }
  return v;
}

/** Every schema a lab is validated against: the common shape, and one per check kind. */
function allSchemas(): Record<string, object> {
  return Object.fromEntries([['shape', LabShape], ...CHECK_KINDS.map((k) => [`kind:${k.kind}`, checkSchema(k.kind, k.params)])]);
}

const exportName = (key: string) => key.replace(/[^A-Za-z0-9]/g, '_');

/**
 * Loads the validators compiled by an earlier run (ajv standalone code under
 * .dockerlab/cache, keyed by a hash of the schemas), or compiles them all once
 * and writes that cache. Without it, every run spent ~100 ms compiling schemas.
 */
export function preloadValidators(cacheDir = fromRoot('.dockerlab', 'cache')): void {
  if (validators.size > 0) return;
  const schemas = allSchemas();
  const file = cacheFile(cacheDir, schemas);
  try {
    const cached = requireHere(file) as Record<string, Validate>;
    for (const key of Object.keys(schemas)) {
      const v = cached[exportName(key)];
      if (!v) throw new Error('incomplete cache');
      validators.set(key, v);
    }
    return;
  } catch {
    validators.clear();
  }
  const compiler = writeValidatorCache(cacheDir, schemas);
  for (const key of Object.keys(schemas)) validators.set(key, compiler.getSchema(key) as Validate);
}

function cacheFile(cacheDir: string, schemas: Record<string, object>): string {
  const ajvVersion = (requireHere('ajv/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(`${ajvVersion}\n${JSON.stringify(schemas)}`).digest('hex').slice(0, 16);
  return path.join(cacheDir, `validators-${hash}.cjs`);
}

/** Compiles every schema and writes them as one module of ajv standalone code; returns the compiler. */
export function writeValidatorCache(cacheDir: string, schemas: Record<string, object> = allSchemas()): AjvClass {
  const compiler = newAjv({ code: { source: true } });
  for (const [key, schema] of Object.entries(schemas)) compiler.addSchema(schema, key);
  try {
    const standalone = (requireHere('ajv/dist/standalone') as { default: (a: AjvClass, refs: Record<string, string>) => string }).default;
    // The generated code requires ajv's runtime helpers: pin them to this install so the file works wherever it lies.
    const code = standalone(compiler, Object.fromEntries(Object.keys(schemas).map((key) => [exportName(key), key])))
      .replace(/require\("(ajv\/[^"]+)"\)/g, (_, id: string) => `require(${JSON.stringify(requireHere.resolve(id))})`);
    mkdirSync(cacheDir, { recursive: true });
    const file = cacheFile(cacheDir, schemas);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, file);
  } catch {
    // A read-only checkout only loses the speed-up.
  }
  return compiler;
}

/** Loads and validates labs/<id>/lab.json (or any lab.json path). */
export function loadLabFile(file: string): Lab {
  if (!existsSync(file)) throw new InvalidSpecError([{ file, line: 0, column: 0, path: '', message: 'file not found' }]);
  return parseLab(readFileSync(file, 'utf8'), file);
}

export function parseLab(text: string, file = 'lab.json'): Lab {
  const syntax: ParseError[] = [];
  const tree = parseTree(text, syntax, { allowTrailingComma: false, disallowComments: true });
  const at = (offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
  };
  if (syntax.length > 0 || !tree) {
    throw new InvalidSpecError(syntax.map((e) => ({ file, ...at(e.offset), path: '', message: `invalid JSON: ${printParseErrorCode(e.error)}` })));
  }
  const data = JSON.parse(text) as unknown;
  const problems: SpecProblem[] = [];
  const locate = (jsonPath: string): { line: number; column: number } => {
    const segments = jsonPath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    for (let n = segments.length; n >= 0; n--) {
      const node: Node | undefined = findNodeAtLocation(tree, segments.slice(0, n));
      if (node) return at(node.parent?.type === 'property' ? node.parent.offset : node.offset);
    }
    return { line: 1, column: 1 };
  };
  const report = (jsonPath: string, message: string) => problems.push({ file, ...locate(jsonPath), path: jsonPath, message });

  const shape = validator('shape', LabShape);
  if (!shape(data)) {
    for (const e of relevantErrors(shape.errors ?? [])) report(e.instancePath, explain(e));
    throw new InvalidSpecError(problems);
  }
  const lab = data as Lab;
  const seen = new Set<string>();
  lab.checks.forEach((check, index) => {
    const base = `/checks/${index}`;
    const kind = checkKind(check.kind);
    if (!kind) {
      report(`${base}/kind`, `unknown check kind "${check.kind}"; known kinds: ${knownKinds().join(', ')}`);
    } else {
      const validate = validator(`kind:${kind.kind}`, checkSchema(kind.kind, kind.params));
      if (!validate(check)) for (const e of relevantErrors(validate.errors ?? [])) report(`${base}${e.instancePath}`, explain(e));
      else for (const p of kind.validate?.(check as never) ?? []) report(`${base}${p.path}`, p.message);
      for (const problem of workloadMismatch(needsOf(kind, check), lab, check)) report(base, problem);
    }
    if (seen.has(check.id)) report(`${base}/id`, `duplicate check id "${check.id}"`);
    for (const [i, required] of (check.requires ?? []).entries()) {
      if (!seen.has(required)) {
        report(`${base}/requires/${i}`, lab.checks.some((c) => c.id === required)
          ? `"${required}" must come before "${check.id}" in the list (checks run in order)`
          : `no earlier check has id "${required}"`);
      }
    }
    seen.add(check.id);
  });
  if (problems.length > 0) throw new InvalidSpecError(problems);
  return lab;
}

/** ajv reports every branch of a union; keep the errors of the branch that got furthest. */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const deepest = Math.max(...errors.map((e) => e.instancePath.split('/').length));
  const kept = errors.filter((e) => e.instancePath.split('/').length === deepest && e.keyword !== 'anyOf');
  const workloadKind = kept.filter((e) => e.keyword === 'const' && e.instancePath === '/workload/kind');
  if (workloadKind.length > 0 && workloadKind.length === kept.length) return [workloadKind[0]!];
  const unique = new Map<string, ErrorObject>();
  for (const e of kept.length ? kept : errors) unique.set(`${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`, e);
  return [...unique.values()];
}

/** A check kind that observes something this lab's workload does not produce. */
function workloadMismatch(needs: readonly string[], lab: Lab, check: Record<string, unknown>): string[] {
  const kind = String(check.kind);
  const w = lab.workload.kind;
  if (w === 'script' && (needs.includes('build') || needs.includes('image'))) return [`check kind "${kind}" observes a built image, but this lab's workload is "script"`];
  if (w === 'image' && needs.includes('script')) return [`check kind "${kind}" observes a script run, but this lab's workload is "image"`];
  if (needs.includes('container') && check.container === undefined) {
    if (w === 'script') return [`check kind "${kind}" in a script lab must name the container it observes ("container": "…")`];
    if (!lab.workload.run) return [`check kind "${kind}" observes the workload's container, but workload.run is missing`];
  }
  return [];
}

function explain(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown property "${String(p.additionalProperty)}"`;
    case 'required':
      return `missing required property "${String(p.missingProperty)}"`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}${e.instancePath === '/workload/kind' ? ' or "script" (the workload kinds are "image" and "script")' : ''}`;
    case 'enum':
      return `must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'type':
      return `must be of type ${String(p.type)}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** The labs folder of this repository. */
export function labsDir(): string {
  return fromRoot('labs');
}

export function listLabIds(dir = labsDir()): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^lab-\d{2}$/.test(d.name) && existsSync(path.join(dir, d.name, 'lab.json')))
    .map((d) => d.name)
    .sort();
}
