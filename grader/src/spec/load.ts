import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv as AjvClass, ErrorObject } from 'ajv';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { ACTION_KINDS, actionKind, knownActions } from '../actions/index.js';
import { CHECK_KINDS, checkKind, knownKinds } from '../checks/index.js';
import { needsOf, type Need } from '../checks/types.js';
import { cacheDir as defaultCacheDir, fromRoot } from '../paths.js';
import { WORKLOAD_KINDS, knownWorkloads, workloadKind } from '../workloads/index.js';
import type { WorkloadKind } from '../workloads/types.js';
import { actionSchema, checkSchema, isAction, isCheck, LabShape, SAFE_PATH_PATTERN, workloadSchema, type Lab, type StepSpec } from './schema.js';

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

/**
 * The compiled validators of every schema a lab is checked against. Compiling is
 * the one costly start-up step: they come from an ajv standalone cache when one
 * matches the schemas, and are compiled (and cached) otherwise. Immutable once
 * loaded, so sharing them between gradings is safe.
 */
const validators = new Map<string, Validate>();
let ajv: AjvClass | undefined;

function newAjv(extra: object = {}): AjvClass {
  // Required lazily, outside the bundle: a cache hit never loads the compiler.
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

/** Every schema a lab is validated against: the common shape, one per workload kind, check kind and action kind. */
function allSchemas(): Record<string, object> {
  return Object.fromEntries([
    ['shape', LabShape],
    ...WORKLOAD_KINDS.map((k) => [`workload:${k.kind}`, workloadSchema(k.kind, k.params)]),
    ...CHECK_KINDS.map((k) => [`kind:${k.kind}`, checkSchema(k.kind, k.params)]),
    ...ACTION_KINDS.map((k) => [`action:${k.action}`, actionSchema(k.action, k.params)]),
  ]);
}

const exportName = (key: string) => key.replace(/[^A-Za-z0-9]/g, '_');

/**
 * Loads the validators compiled by an earlier run (ajv standalone code under
 * .dockerlab/cache, keyed by a hash of the schemas), or compiles them all once
 * and writes that cache. Without it, every run spent ~100 ms compiling schemas.
 */
export function preloadValidators(cacheDir = defaultCacheDir()): void {
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

const MAX_SPEC_BYTES = 1024 * 1024;

export function parseLab(text: string, file = 'lab.json'): Lab {
  if (text.length > MAX_SPEC_BYTES) throw new InvalidSpecError([{ file, line: 1, column: 1, path: '', message: `the file is ${text.length} bytes; a lab spec is at most ${MAX_SPEC_BYTES}` }]);
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
  const reportAll = (base: string, errors: ErrorObject[] | null | undefined) => {
    for (const e of relevantErrors(errors ?? [])) report(`${base}${e.instancePath}`, explain(e));
  };

  const shape = validator('shape', LabShape);
  if (!shape(data)) {
    reportAll('', shape.errors);
    throw new InvalidSpecError(problems);
  }
  const raw = data as Omit<Lab, 'checks'>;
  const workload = workloadKind(raw.workload.kind);
  if (!workload) {
    report('/workload/kind', `unknown workload kind "${raw.workload.kind}"; known kinds: ${knownWorkloads().join(', ')}`);
  } else {
    const validate = validator(`workload:${workload.kind}`, workloadSchema(workload.kind, workload.params));
    if (!validate(raw.workload)) reportAll('/workload', validate.errors);
  }

  const seen = new Map<string, StepSpec>();
  const produced = new Map<Need, string>();
  const provides = workload ? providedBy(workload, raw.workload) : [];
  raw.steps.forEach((step, index) => {
    const base = `/steps/${index}`;
    const hasKind = 'kind' in step;
    const hasAction = 'action' in step;
    if (hasKind === hasAction) {
      report(base, hasKind ? 'a step has either "kind" (a check) or "action" (an action), not both' : 'a step needs "kind" (a check, with points) or "action" (something the grader does between checks)');
    } else if (isCheck(step)) {
      const kind = checkKind(step.kind);
      if (!kind) {
        report(`${base}/kind`, `unknown check kind "${step.kind}"; known kinds: ${knownKinds().join(', ')}`);
      } else {
        const validate = validator(`kind:${kind.kind}`, checkSchema(kind.kind, kind.params));
        if (!validate(step)) reportAll(base, validate.errors);
        else {
          for (const p of kind.validate?.(step as never) ?? []) report(`${base}${p.path}`, p.message);
          for (const problem of unmetNeeds(`check kind "${kind.kind}"`, needsOf(kind, step), raw, provides, produced)) report(base, problem);
        }
      }
    } else if (isAction(step)) {
      const kind = actionKind(step.action);
      if (!kind) {
        report(`${base}/action`, `unknown action "${step.action}"; known actions: ${knownActions().join(', ')}`);
      } else {
        const validate = validator(`action:${kind.action}`, actionSchema(kind.action, kind.params));
        if (!validate(step)) reportAll(base, validate.errors);
        else {
          for (const p of kind.validate?.(step as never) ?? []) report(`${base}${p.path}`, p.message);
          for (const problem of unmetNeeds(`action "${kind.action}"`, needsOf(kind, step), raw, provides, produced)) report(base, problem);
          for (const operation of kind.operations ?? []) {
            if (workload && !workload.operations.includes(operation)) report(`${base}/action`, `action "${kind.action}" needs a workload that can ${operation}; a "${workload.kind}" workload cannot`);
          }
          for (const fact of kind.produces ?? []) if (!produced.has(fact)) produced.set(fact, step.id);
        }
      }
    }
    if (seen.has(step.id)) report(`${base}/id`, `duplicate step id "${step.id}"`);
    for (const [i, required] of (step.requires ?? []).entries()) {
      if (!seen.has(required)) {
        report(`${base}/requires/${i}`, raw.steps.some((s) => s.id === required)
          ? `"${required}" must come before "${step.id}" in the steps (steps run in order)`
          : `no earlier step has id "${required}"`);
      }
    }
    seen.set(step.id, step);
  });
  // A later action that produces what an earlier step needs: say where to move it.
  for (const problem of problems) {
    const match = /^(.*) observes "(\w+)", which (.*)$/.exec(problem.message);
    const fact = match?.[2] as Need | undefined;
    if (fact) {
      const producer = raw.steps.find((s) => isAction(s) && (actionKind(s.action)?.produces ?? []).includes(fact));
      if (producer) problem.message += `; action "${producer.id}" produces it: place this step after it`;
    }
  }
  if (problems.length > 0) throw new InvalidSpecError(problems);
  return { ...raw, checks: raw.steps.filter(isCheck) };
}

function providedBy(workload: WorkloadKind, spec: Lab['workload']): readonly Need[] {
  return typeof workload.provides === 'function' ? workload.provides(spec as never) : workload.provides;
}

/** What a step needs that neither the workload nor an earlier action provides, as problems to report. */
function unmetNeeds(what: string, needs: readonly Need[], lab: Omit<Lab, 'checks'>, provides: readonly Need[], produced: Map<Need, string>): string[] {
  const out: string[] = [];
  for (const need of needs) {
    if (provides.includes(need) || produced.has(need)) continue;
    if (need === 'container' && lab.workload.kind === 'image') out.push(`${what} observes the workload's container, but workload.run is missing`);
    else if (need === 'container') out.push(`${what} in a "${lab.workload.kind}" lab must name the container it observes ("container": "…")`);
    else out.push(`${what} observes "${need}", which a "${lab.workload.kind}" workload does not produce and no earlier action does`);
  }
  return out;
}

/** ajv reports every branch of a union; keep the errors of the branch that got furthest. */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  if (errors.length === 0) return [];
  const deepest = Math.max(...errors.map((e) => e.instancePath.split('/').length));
  const kept = errors.filter((e) => e.instancePath.split('/').length === deepest && e.keyword !== 'anyOf');
  const unique = new Map<string, ErrorObject>();
  for (const e of kept.length ? kept : errors) unique.set(`${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`, e);
  return [...unique.values()];
}

function explain(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown property "${String(p.additionalProperty)}"`;
    case 'required':
      return `missing required property "${String(p.missingProperty)}"`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'enum':
      return `must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'type':
      return `must be of type ${String(p.type)}`;
    case 'pattern':
      return p.pattern === SAFE_PATH_PATTERN
        ? 'must be a relative path inside the folder (no leading "/", no ".." segment)'
        : `must match the pattern ${String(p.pattern)}`;
    case 'maximum': case 'minimum': case 'exclusiveMaximum': case 'exclusiveMinimum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'maxLength': case 'maxItems':
      return `is too long: at most ${String(p.limit)}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** The labs folder of this repository, unless another is given. */
export function labsDir(): string {
  return fromRoot('labs');
}

export function listLabIds(dir = labsDir()): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^lab-\d{2}$/.test(d.name) && existsSync(path.join(dir, d.name, 'lab.json')))
    .map((d) => d.name)
    .sort();
}
