/**
 * A CheckTester after ESLint's RuleTester: each check kind gets a table of cases
 * that must pass and cases that must fail, evaluated against fake facts (no
 * engine), plus specs the kind must refuse. Real-engine fixtures stay for whole labs.
 */
import { Ajv } from 'ajv';
import type { CheckContext, CheckKind, Facts, HttpRequest, InsideHttpAnswer, NameResolution, NetworkFacts } from '../../grader/src/checks/types.js';
import type { ComposeFacts } from '../../grader/src/compose/compose.js';
import type { BuildFacts, ContainerFacts, ContainerState, ExecResult, FoundFile, HttpAnswer, ImageConfig, ImageFacts, ListeningSocket, ProcessInfo, ScriptFacts, StopFacts, VolumeFacts } from '../../grader/src/engine/facts.js';
import { titleOf } from '../../grader/src/titles.js';
import { format, LANGS, type Lang } from '../../grader/src/i18n/lang.js';
import { actionSchema, checkSchema } from '../../grader/src/spec/schema.js';
import type { ActionContext, ActionKind, WorkloadOperations } from '../../grader/src/actions/types.js';

export interface FakeContainer {
  /** One state, or a sequence returned call after call (the last one repeats): polling checks see things change. */
  state?: Partial<ContainerState> | Partial<ContainerState>[];
  /** Each state() takes this long to answer (a busy engine: a container flooding its logs, a loaded CI machine). */
  stateDelayMs?: number;
  logs?: string | string[];
  exec?: (command: string[]) => Partial<ExecResult>;
  processes?: ProcessInfo[];
  files?: Record<string, string>;
  sockets?: ListeningSocket[] | null;
}

export interface FakeImage {
  config?: Partial<ImageConfig>;
  files?: Record<string, string>;
  /** Entries of the final filesystem. */
  filesystem?: { path: string; type?: FoundFile['type']; size?: number }[];
  /** Entries of the layers the Dockerfile added. */
  addedLayers?: { path: string; type?: FoundFile['type']; size?: number; layer: number; createdBy?: string }[];
}

export interface FakeWorld {
  /** The workload's own container. */
  container?: FakeContainer;
  /** Containers by name (or grader alias). */
  named?: Record<string, FakeContainer>;
  /** The container publishing a host port. */
  onHostPort?: Record<number, string>;
  volumes?: Record<string, Partial<VolumeFacts>>;
  /** Other images present on the engine (e.g. the base image), by reference. */
  images?: Record<string, Partial<ImageConfig>>;
  image?: FakeImage;
  build?: Partial<BuildFacts>;
  rebuild?: Partial<BuildFacts>;
  script?: Partial<ScriptFacts>;
  stop?: Partial<StopFacts>;
  /** Answers by host port: one answer, or a sequence (the last one repeats). */
  http?: Record<number, HttpAnswer | HttpAnswer[]>;
  submissionDirInEngine?: string;
  /** The lab's workload spec (default: an image built from the whole folder). */
  workload?: { kind: string } & Record<string, unknown>;
  /** The submission folder on the grader's machine (checks that list the student's own files read it). */
  submissionDir?: string;
  /** Answers by request, before `http` (e.g. by path or by request header). */
  httpHandler?: (request: HttpRequest) => HttpAnswer | undefined;
  /** Networks by name. */
  networks?: Record<string, Partial<NetworkFacts>>;
  /** Names resolved from inside a container: container name → host name → result (default: not found). */
  resolve?: Record<string, Record<string, NameResolution>>;
  /** HTTP from inside a container: container name → url → answer or sequence (default: name not found). */
  insideHttp?: Record<string, Record<string, InsideHttpAnswer | InsideHttpAnswer[]>>;
  /** Local image tags, `repository:tag`. */
  localImages?: string[];
  compose?: Partial<ComposeFacts>;
  counts?: Record<string, number>;
}

export interface CheckCase {
  name: string;
  /** The check's own fields (id, kind and points are added). */
  check: Record<string, unknown>;
  world: FakeWorld;
  lang?: Lang;
  /** What the observed text must match (string: contains). */
  observed?: RegExp | string;
  expected?: RegExp | string;
  location?: { file: string; line: number } | null;
}

export interface SpecCase {
  name: string;
  check: Record<string, unknown>;
  /** The problem message the kind's schema or validate() must give. */
  problem: RegExp | string;
}

export const refused: HttpAnswer = { ok: false, failure: 'refused', error: 'connect ECONNREFUSED' };

const sequence = <T>(value: T | T[] | undefined, index: number): T | undefined => (Array.isArray(value) ? value[Math.min(index, value.length - 1)] : value);

export const RUNNING: Partial<ContainerState> = { status: 'running', running: true, restarting: false, exitCode: 0, restartCount: 0, startedAt: new Date(Date.now() - 60_000).toISOString() };
export const EXITED = (code: number): Partial<ContainerState> => ({ status: 'exited', running: false, restarting: false, exitCode: code, restartCount: 0, startedAt: null });

function fullState(partial: Partial<ContainerState>, name: string): ContainerState {
  return {
    id: `id-${name}`, name, status: 'running', running: true, restarting: false, exitCode: 0, startedAt: new Date(Date.now() - 60_000).toISOString(), finishedAt: null,
    restartCount: 0, oomKilled: false, image: 'nginx:1.27', imageId: 'sha256:abc', imageTags: ['nginx:1.27'], ports: {}, env: {}, labels: {}, memoryBytes: 0,
    restartPolicy: 'no', mounts: [], networks: ['bridge'], networkMode: 'default', health: null, healthLog: [], healthcheck: null, stopSignal: 'SIGTERM', pid: 42,
    ...partial,
  };
}

/** A `startedAt` that reads as the moment the case's fake container is made (when its test runs, not when the table was written). */
export const JUST_STARTED = '(the moment the fake container is made)';

export function fakeContainer(name: string, fake: FakeContainer): ContainerFacts & { sockets: ListeningSocket[] | null } {
  let stateCalls = 0;
  const madeAt = new Date().toISOString();
  let logCalls = 0;
  return {
    name,
    sockets: fake.sockets ?? null,
    async state() {
      if (fake.stateDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.stateDelayMs));
      const state = fullState(sequence(fake.state, stateCalls++) ?? RUNNING, name);
      return state.startedAt === JUST_STARTED ? { ...state, startedAt: madeAt } : state;
    },
    async logs() {
      return sequence(fake.logs, logCalls++) ?? '';
    },
    async exec(command) {
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...fake.exec?.(command) };
    },
    async processes() {
      return fake.processes ?? [];
    },
    async hostPort(containerPort, protocol = 'tcp') {
      const s = fullState(sequence(fake.state, Math.max(0, stateCalls - 1)) ?? RUNNING, name);
      return s.ports[`${containerPort}/${protocol}`]?.find((b) => b.hostPort > 0)?.hostPort ?? null;
    },
    async readFile(file) {
      return fake.files?.[file] ?? null;
    },
  };
}

function fakeImage(fake: FakeImage): ImageFacts {
  const config: ImageConfig = { id: 'sha256:img', user: '', env: {}, workdir: '', labels: {}, exposedPorts: [], cmd: null, entrypoint: null, healthcheck: null, stopSignal: null, sizeBytes: 1000, repoTags: [], layers: ['sha256:base1', 'sha256:own1'], ...fake.config };
  return {
    ref: 'dockerlab/test:1',
    async config() {
      return config;
    },
    async readFile(file) {
      return fake.files?.[file] ?? null;
    },
    async findFiles(match, { scope }) {
      if (scope === 'image') {
        return (fake.filesystem ?? []).map((e) => ({ path: e.path, type: e.type ?? 'file', size: e.size ?? 1 })).filter(match).map((e) => ({ ...e, layer: null, createdBy: null }));
      }
      return (fake.addedLayers ?? []).filter((e) => match({ path: e.path, type: e.type ?? 'file', size: e.size ?? 1 })).map((e) => ({ path: e.path, type: e.type ?? 'file', size: e.size ?? 1, layer: e.layer, createdBy: e.createdBy ?? null }));
    },
  };
}

/** A CheckContext over fake facts; `calls` counts what the check asked, for assertions on polling. */
export function fakeContext(world: FakeWorld, lang: Lang = 'en'): CheckContext {
  const named = new Map(Object.entries(world.named ?? {}).map(([name, fake]) => [name, fakeContainer(name, fake)]));
  const workload = world.container ? fakeContainer('dockerlab-lab-99-run', world.container) : undefined;
  const httpCalls = new Map<number, number>();
  const facts: Facts = {
    ...(world.build ? { build: buildFacts(world.build) } : {}),
    ...(world.rebuild ? { rebuild: buildFacts(world.rebuild) } : {}),
    ...(world.image ? { image: fakeImage(world.image) } : {}),
    ...(workload ? { container: workload } : {}),
    ...(world.script ? { script: { script: 'commands.sh', exitCode: 0, timedOut: false, timeoutSeconds: 60, durationMs: 1200, output: '', outputBytes: 0, dockerCalls: ['docker run -d nginx'], ...world.script } } : {}),
    ...(world.stop ? { stop: { container: 'c', timeoutSeconds: 6, durationMs: 400, returnedMs: 400, measuredBy: 'engine-events', exitCode: 0, killed: false, stopSignal: 'SIGTERM', ...world.stop } } : {}),
    ...(world.compose ? { compose: composeFacts(world.compose) } : {}),
    ...(world.counts ? { counts: world.counts } : {}),
  };
  const insideCalls = new Map<string, number>();
  return {
    ...facts,
    lang,
    signal: new AbortController().signal,
    lab: { id: 'lab-99', title: 'test', workload: world.workload ?? { kind: 'image' }, steps: [], checks: [] },
    submissionDir: world.submissionDir ?? '/home/student/lab',
    submissionDirInEngine: world.submissionDirInEngine ?? '/work/submission',
    async findContainer(name) {
      return named.get(name) ?? null;
    },
    async containerOnHostPort(port) {
      const name = world.onHostPort?.[port];
      return name ? (named.get(name) ?? null) : null;
    },
    async findVolume(name) {
      const v = world.volumes?.[name];
      return v ? { name, driver: 'local', labels: {}, ...v } : null;
    },
    async imageConfig(ref) {
      const c = world.images?.[ref];
      return c ? { id: 'sha256:base', user: '', env: {}, workdir: '', labels: {}, exposedPorts: [], cmd: null, entrypoint: null, healthcheck: null, stopSignal: null, sizeBytes: 1, repoTags: [ref], layers: ['sha256:base1'], ...c } : null;
    },
    async http(request) {
      const handled = world.httpHandler?.(request);
      if (handled) return handled;
      // The real session polls until `until` or `hopeless`; the fake walks its sequence the same way, without waiting.
      const given = world.http?.[request.port];
      const list = given === undefined ? [refused] : Array.isArray(given) ? given : [given];
      let i = httpCalls.get(request.port) ?? 0;
      for (;;) {
        const answer = list[Math.min(i, list.length - 1)]!;
        i++;
        httpCalls.set(request.port, i);
        const good = request.until ? request.until(answer) : answer.ok;
        if (good || !request.withinMs || i >= list.length) return answer;
        if (request.hopeless && (await request.hopeless(answer))) return answer;
      }
    },
    async listeningSockets(container) {
      return (container as { sockets?: ListeningSocket[] | null }).sockets ?? null;
    },
    async findNetwork(name) {
      const n = world.networks?.[name];
      return n ? { id: `net-${name}`, name, driver: 'bridge', internal: false, labels: {}, containers: [], ...n } : null;
    },
    async resolveFrom(container, name) {
      const state = await container.state();
      if (!state.running) return { outcome: 'not-running', status: state.status };
      return world.resolve?.[container.name]?.[name] ?? { outcome: 'not-found', detail: `** server can't find ${name}: NXDOMAIN` };
    },
    async httpFrom(container, request) {
      const state = await container.state();
      if (!state.running) return { outcome: 'not-running', status: state.status };
      const key = `${container.name} ${request.url}`;
      const i = insideCalls.get(key) ?? 0;
      insideCalls.set(key, i + 1);
      return sequence(world.insideHttp?.[container.name]?.[request.url], i) ?? { outcome: 'name-not-found', detail: `bad address '${new URL(request.url).hostname}'` };
    },
    async localImageTags(repository) {
      return (world.localImages ?? []).filter((t) => t.slice(0, t.lastIndexOf(':')) === repository).sort();
    },
  };
}

function composeFacts(partial: Partial<ComposeFacts>): ComposeFacts {
  return {
    file: 'compose.yaml', ignored: [], version: 'v2', versionText: '2.26.1', project: 'dltest', services: ['web', 'app', 'cache'], logFile: null,
    up: { ok: true, exitCode: 0, timedOut: false, output: '', durationMs: 4200, problem: null },
    ...partial,
  };
}

function buildFacts(partial: Partial<BuildFacts>): BuildFacts {
  return { ok: true, builder: 'classic', dockerfile: 'Dockerfile', dockerfileText: 'FROM debian:bookworm-slim\n', outputTail: '', outputBytes: 0, logFile: null, durationMs: 1500, steps: [], ...partial } as BuildFacts;
}

export const http200 = (body = 'ok'): HttpAnswer => ({ ok: true, status: 200, body, headers: {}, truncated: false });
export const httpStatus = (status: number, body = ''): HttpAnswer => ({ ok: true, status, body, headers: {}, truncated: false });

const matches = (text: string, want: RegExp | string) => (typeof want === 'string' ? text.includes(want) : want.test(text));

/** Declares, inside a jest file, the cases of one kind: `passing` must pass, `failing` must fail, `invalid` specs must be refused. */
export function testCheckKind(kind: CheckKind, cases: { passing: CheckCase[]; failing: CheckCase[]; invalid?: SpecCase[] }): void {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  const validate = ajv.compile(checkSchema(kind.kind, kind.params));
  const spec = (check: Record<string, unknown>) => ({ id: 'case', kind: kind.kind, points: 1, ...check });

  describe(`check kind ${kind.kind}`, () => {
    const run = async (c: CheckCase, passed: boolean) => {
      const checkSpec = spec(c.check);
      expect({ valid: validate(checkSpec), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
      expect(kind.validate?.(checkSpec as never) ?? []).toEqual([]);
      const lang = c.lang ?? 'en';
      const say = (id: string, data?: Record<string, unknown>) => format(kind.messages[lang][id] ?? `!missing message ${id}!`, data);
      const observation = await kind.evaluate(checkSpec as never, fakeContext(c.world, lang), say as never);
      const detail = `expected: ${observation.expected}\nobserved: ${observation.observed}`;
      expect({ passed: observation.passed, detail }).toEqual({ passed, detail });
      for (const text of [observation.expected, observation.observed, titleOf(checkSpec, lang)]) {
        expect(text).not.toMatch(/\{\w+\}|!missing message|undefined|\[object Object\]/);
      }
      if (c.observed !== undefined && !matches(observation.observed, c.observed)) throw new Error(`observed text does not match ${String(c.observed)}:\n${observation.observed}`);
      if (c.expected !== undefined && !matches(observation.expected, c.expected)) throw new Error(`expected text does not match ${String(c.expected)}:\n${observation.expected}`);
      if (c.location !== undefined) expect(observation.location ?? null).toEqual(c.location);
    };
    describe('passes', () => {
      it.each(cases.passing.map((c) => [c.name, c] as const))('%s', async (_n, c) => run(c, true));
    });
    describe('fails', () => {
      it.each(cases.failing.map((c) => [c.name, c] as const))('%s', async (_n, c) => run(c, false));
    });
    if (cases.invalid?.length) {
      describe('refuses the spec', () => {
        it.each((cases.invalid ?? []).map((c) => [c.name, c] as const))('%s', (_n, c) => {
          const checkSpec = spec(c.check);
          const schemaOk = validate(checkSpec);
          const problems = schemaOk ? (kind.validate?.(checkSpec as never) ?? []).map((p) => p.message) : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
          expect(problems.length).toBeGreaterThan(0);
          expect(problems.some((p) => matches(p, c.problem))).toBe(true);
        });
      });
    }
    it('has every message in French and English, and French titles read as French', () => {
      expect(Object.keys(kind.messages.fr).sort()).toEqual(Object.keys(kind.messages.en).sort());
      expect(LANGS.every((l) => typeof kind.messages[l].title === 'string')).toBe(true);
    });
  });
}

export interface ActionCase {
  name: string;
  /** The action's own fields (id and action are added). */
  step: Record<string, unknown>;
  world: FakeWorld;
  /** The workload operations the fake workload supports. */
  operations?: Partial<WorkloadOperations>;
  lang?: Lang;
  /** What the outcome's message must match (string: contains). */
  message?: RegExp | string;
  /** Facts the action must produce (compared with toEqual). */
  facts?: Partial<Facts>;
}

/** Like testCheckKind, for actions: `done` cases must be done, `failed` cases must fail; every message in both languages. */
export function testActionKind(kind: ActionKind, cases: { done: ActionCase[]; failed: ActionCase[] }): void {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  const validate = ajv.compile(actionSchema(kind.action, kind.params));
  describe(`action ${kind.action}`, () => {
    const run = async (c: ActionCase, status: 'done' | 'failed') => {
      const step = { id: 'case', action: kind.action, ...c.step };
      expect({ valid: validate(step), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
      const lang = c.lang ?? 'en';
      const say = (id: string, data?: Record<string, unknown>) => format(kind.messages[lang][id] ?? `!missing message ${id}!`, data);
      const notFaked = async (): Promise<never> => {
        throw new Error('engine operation not faked');
      };
      const ctx: ActionContext = { ...fakeContext(c.world, lang), progress: () => undefined, engine: { removeContainer: notFaked, runContainer: notFaked, stopContainer: notFaked }, operations: c.operations ?? {} };
      const outcome = await kind.perform(step as never, ctx, say as never);
      expect({ status: outcome.status, message: outcome.message }).toEqual({ status, message: outcome.message });
      expect(outcome.message).not.toMatch(/\{\w+\}|!missing message|undefined|\[object Object\]/);
      if (c.message !== undefined && !matches(outcome.message, c.message)) throw new Error(`message does not match ${String(c.message)}:\n${outcome.message}`);
      if (c.facts !== undefined) expect(outcome.status === 'done' ? (outcome.facts ?? {}) : {}).toEqual(c.facts);
    };
    describe('done', () => {
      it.each(cases.done.map((c) => [c.name, c] as const))('%s', async (_n, c) => run(c, 'done'));
    });
    describe('failed', () => {
      it.each(cases.failed.map((c) => [c.name, c] as const))('%s', async (_n, c) => run(c, 'failed'));
    });
    it('has every message in French and English', () => {
      expect(Object.keys(kind.messages.fr).sort()).toEqual(Object.keys(kind.messages.en).sort());
    });
  });
}
