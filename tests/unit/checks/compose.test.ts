import { composeDown } from '../../../grader/src/actions/compose-down.js';
import { composeUpAgain } from '../../../grader/src/actions/compose-up.js';
import { composeUp } from '../../../grader/src/checks/compose-up.js';
import { composeChoiceFrom, composeProblem, pickComposeFile, type ComposeCommandResult } from '../../../grader/src/compose/compose.js';
import { hostOverride, parseComposeModel, serviceNames } from '../../../grader/src/compose/override.js';
import { testActionKind, testCheckKind } from '../../helpers/check-tester.js';

const failedUp = (problem: ComposeCommandResult['problem']): ComposeCommandResult => ({ ok: false, exitCode: 1, timedOut: false, output: problem?.message ?? '', durationMs: 300, problem });
const LABELS = { dockerlab: '1', 'dockerlab.run': 'dlx' };
const LIMITS = { memoryMiB: 512, cpus: 1, pids: 256 };

testCheckKind(composeUp as never, {
  passing: [
    { name: 'up succeeded', check: {}, world: { compose: {} }, observed: 'compose.yaml started with Compose v2 (2.26.1) in 4.2 s; services: web, app, cache' },
    { name: 'with Compose v1', check: {}, world: { compose: { version: 'v1', versionText: '1.29.2', file: 'docker-compose.yml' } }, expected: '`docker-compose up -d --build`' },
  ],
  failing: [
    {
      name: 'a YAML error, with its line',
      check: {},
      world: { compose: { up: failedUp({ kind: 'invalid', message: 'yaml: line 19: mapping values are not allowed in this context', line: 19 }) } },
      observed: /compose refuses compose\.yaml \(line 19\):\n {2}\| yaml: line 19/,
      location: { file: 'compose.yaml', line: 19 },
    },
    { name: 'no compose file', check: {}, world: { compose: { file: null, up: failedUp({ kind: 'missing-file', message: 'no compose file in the submission folder: the grader looks for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml', line: null }) } }, observed: 'the grader looks for compose.yaml', location: null },
    { name: 'up failed (a build error)', check: {}, world: { compose: { up: failedUp({ kind: 'failed', message: 'failed to solve: process "/bin/sh -c pip install flask" did not complete successfully: exit code: 1', line: null }) } }, observed: /`up -d --build` failed:\n {2}\| failed to solve/ },
    { name: 'up ran past its time limit', check: {}, world: { compose: { up: { ...failedUp({ kind: 'timeout', message: 'compose up: no end within 240 s', line: null }), timedOut: true } } }, observed: 'did not finish in time' },
    { name: 'in French', lang: 'fr', check: {}, world: { compose: { up: failedUp({ kind: 'invalid', message: "services.web Additional property portz is not allowed", line: 4 }) } }, observed: 'compose refuse compose.yaml (ligne 4)' },
  ],
});

describe('reading compose failures', () => {
  const file = 'services:\n  web:\n    image: nginx:1.27\n    portz: ["8080:80"]\n  cache:\n    image: redis:7\n    ports: 6379\n';
  it('takes the line compose gives (v2 and v1 wording)', () => {
    expect(composeProblem('yaml: line 4: mapping values are not allowed in this context', file, 'invalid')).toEqual({ kind: 'invalid', message: 'yaml: line 4: mapping values are not allowed in this context', line: 4 });
    expect(composeProblem('yaml.scanner.ScannerError: mapping values are not allowed here\n  in "./compose.yaml", line 4, column 11', file, 'invalid').line).toBe(4);
  });
  it('finds the line of a property compose names without a line', () => {
    expect(composeProblem('validating /work/submission/compose.yaml: services.web Additional property portz is not allowed', file, 'invalid').line).toBe(4);
    expect(composeProblem("The Compose file './compose.yaml' is invalid because:\nUnsupported config option for services.web: 'portz'", file, 'invalid').line).toBe(4);
    expect(composeProblem('services.cache.ports must be a list', file, 'invalid').line).toBe(7);
  });
  it('keeps compose\'s error lines, not its progress or warnings', () => {
    const output = [
      'time="2026-11-23T05:13:45Z" level=warning msg="compose.yaml: the attribute `version` is obsolete"',
      ' Network p_default  Creating',
      ' Network p_default  Created',
      ' Container p-cache-1  Starting',
      'Error response from daemon: driver failed programming external connectivity on endpoint p-web-1: Bind for 0.0.0.0:8080 failed: port is already allocated',
    ].join('\n');
    expect(composeProblem(output, file, 'failed')).toEqual({ kind: 'failed', message: 'Error response from daemon: driver failed programming external connectivity on endpoint p-web-1: Bind for 0.0.0.0:8080 failed: port is already allocated', line: null });
  });
});

describe('choosing the compose file and version', () => {
  it('takes the first name in compose\'s order and says which others it ignores', () => {
    expect(pickComposeFile(['docker-compose.yml', 'compose.yaml'])).toEqual({ file: 'compose.yaml', ignored: ['docker-compose.yml'] });
    expect(pickComposeFile(['docker-compose.yaml'])).toEqual({ file: 'docker-compose.yaml', ignored: [] });
    expect(pickComposeFile([])).toEqual({ file: null, ignored: [] });
  });
  it('reads DOCKERLAB_COMPOSE', () => {
    expect(composeChoiceFrom('v1')).toBe('v1');
    expect(composeChoiceFrom(' V2 ')).toBe('v2');
    expect(composeChoiceFrom('auto')).toBe('auto');
    expect(composeChoiceFrom('3')).toBeUndefined();
  });
});

describe('the override that labels a project on the host engine', () => {
  const v2 = `name: p
services:
  app:
    build:
      context: /s/app
      dockerfile: Dockerfile
    networks:
      backend: null
  cache:
    image: redis:7
    mem_limit: "268435456"
    logging:
      driver: local
    networks:
      default: null
networks:
  backend:
    name: p_backend
  default:
    name: p_default
  outside:
    name: shared
    external: true
volumes:
  data:
    name: p_data
  kept:
    external: true
`;
  const v1 = `services:
  web:
    image: nginx:1.27
    ports:
    - 8080:80/tcp
  app:
    build:
      context: /s/app
version: '3.9'
volumes:
  data: {}
`;
  it('labels every service, built image, network and volume the project owns, never an external one', () => {
    const model = parseComposeModel(v2)!;
    expect(serviceNames(model)).toEqual(['app', 'cache']);
    const override = hostOverride(model, LABELS, LIMITS) as { services: Record<string, Record<string, unknown>>; networks: Record<string, unknown>; volumes: Record<string, unknown> };
    expect(override.services.app).toEqual({ labels: LABELS, mem_limit: '512m', cpus: 1, pids_limit: 256, logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '1' } }, build: { labels: LABELS } });
    // The student's own memory limit and logging win.
    expect(override.services.cache).toEqual({ labels: LABELS, cpus: 1, pids_limit: 256 });
    expect(Object.keys(override.networks).sort()).toEqual(['backend', 'default']);
    expect(Object.keys(override.volumes)).toEqual(['data']);
  });
  it('reads v1\'s model, where services on the default network do not say so', () => {
    const override = hostOverride(parseComposeModel(`time="x" level=warning msg="y"\n${v1}`)!, LABELS, LIMITS) as { services: Record<string, Record<string, unknown>>; networks: Record<string, unknown>; volumes: Record<string, unknown> };
    expect(Object.keys(override.services).sort()).toEqual(['app', 'web']);
    expect(override.services.web!.build).toBeUndefined();
    expect(override.networks).toEqual({ default: { labels: LABELS } });
    expect(override.volumes).toEqual({ data: { labels: LABELS } });
  });
  it('refuses what is not a model', () => {
    expect(parseComposeModel('- a\n- b\n')).toBeNull();
    expect(parseComposeModel('services: [')).toBeNull();
  });
});

const ok: ComposeCommandResult = { ok: true, exitCode: 0, timedOut: false, output: '', durationMs: 1234, problem: null };
const broken: ComposeCommandResult = { ok: false, exitCode: 1, timedOut: false, output: 'Error response from daemon: conflict', durationMs: 200, problem: { kind: 'failed', message: 'Error response from daemon: conflict', line: null } };

testActionKind(composeDown as never, {
  done: [{ name: 'down without -v', step: {}, world: { compose: {} }, operations: { composeDown: async () => ok }, message: 'project stopped and removed in 1.2 s (named volumes kept)' }],
  failed: [{ name: 'down failed', step: {}, world: { compose: {} }, operations: { composeDown: async () => broken }, message: 'compose down failed:\nError response from daemon: conflict' }],
});

testActionKind(composeUpAgain as never, {
  done: [{ name: 'up again', step: {}, world: { compose: {} }, operations: { composeUp: async () => ok }, message: 'project started again in 1.2 s' }],
  failed: [{ name: 'up failed', lang: 'fr', step: {}, world: { compose: {} }, operations: { composeUp: async () => broken }, message: 'compose up -d a échoué' }],
});

describe('finding the line of a property compose names', () => {
  it('looks for the service among the services, not a key of the same name elsewhere (depends_on: cache)', () => {
    const file = ['services:', '  app:', '    depends_on:', '      cache:', '        condition: service_healthy', '  cache:', '    image: redis:7', '    portz: ["6379:6379"]', 'volumes:', '  cache: {}', ''].join('\n');
    expect(composeProblem('services.cache Additional property portz is not allowed', file, 'invalid').line).toBe(8);
    expect(composeProblem("Unsupported config option for services.cache: 'imagez'", file, 'invalid').line).toBe(6);
    expect(composeProblem('services.nope Additional property x is not allowed', file, 'invalid').line).toBeNull();
  });
});
