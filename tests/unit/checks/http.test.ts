import { httpAnswers, portClosed, steadyAnswer } from '../../../grader/src/checks/http.js';
import { EXITED, http200, httpStatus, refused, testCheckKind } from '../../helpers/check-tester.js';

const published = (containerPort: number, hostPort: number) => ({ ports: { [`${containerPort}/tcp`]: [{ hostIp: '127.0.0.1', hostPort }] } });
const workload = (state: object, extra: Record<string, unknown> = {}) => ({ container: { state, ...extra } as never });

testCheckKind(httpAnswers as never, {
  passing: [
    { name: 'status and body', check: { port: 8080, path: '/', expect: { status: 200, bodyContains: 'ok' } }, world: { ...workload(published(8080, 40001)), http: { 40001: http200('{"status": "ok"}') } }, observed: 'HTTP 200' },
    { name: 'after a few refusals (the app starts slowly)', check: { port: 8080, expect: { status: 200 }, withinSeconds: 5 }, world: { ...workload(published(8080, 40001)), http: { 40001: [refused, refused, http200()] } } },
    { name: 'a 404 asked for', check: { port: 8080, path: '/nope', expect: { status: 404 } }, world: { ...workload(published(8080, 40001)), http: { 40001: httpStatus(404, 'Not Found') } } },
    { name: 'several texts and a regular expression', check: { port: 8080, expect: { bodyContains: ['Mon site', 'statique'], bodyMatches: '<title>Lab 0\\d</title>' } }, world: { ...workload(published(8080, 40001)), http: { 40001: http200('<title>Lab 04</title> Mon site statique') } } },
    { name: 'a host port the student published', check: { hostPort: 8081, expect: { bodyContains: 'Bonjour Docker' } }, world: { named: { site: { state: published(80, 8081) } }, onHostPort: { 8081: 'site' }, http: { 8081: http200('Bonjour Docker') } } },
  ],
  failing: [
    { name: 'a wrong body', check: { port: 8080, expect: { bodyContains: 'Mon site statique' } }, world: { ...workload(published(8080, 40001), { sockets: [{ address: '0.0.0.0', port: 8080, loopbackOnly: false }] }), http: { 40001: http200('<h1>Welcome to nginx!</h1>') } }, observed: 'HTTP 200, body: <h1>Welcome to nginx!</h1>' },
    { name: 'listening on 127.0.0.1 only: named', check: { port: 8080, expect: { status: 200 } }, world: { ...workload(published(8080, 40001), { sockets: [{ address: '127.0.0.1', port: 8080, loopbackOnly: true }] }), http: { 40001: { ok: false, failure: 'reset', error: 'socket hang up' } } }, observed: /connection reset[\s\S]*why: the app listens on 127\.0\.0\.1:8080 only/ },
    { name: 'listening on another port: named', check: { port: 8080, expect: { status: 200 } }, world: { ...workload(published(8080, 40001), { sockets: [{ address: '0.0.0.0', port: 80, loopbackOnly: false }] }), http: { 40001: { ok: false, failure: 'closed', error: 'socket hang up' } } }, observed: 'nothing listens on port 8080 in the container; it listens on 0.0.0.0:80' },
    { name: 'the container exited: state, code and logs', check: { port: 8080, expect: { status: 200 } }, world: workload([EXITED(1)], { logs: 'python: can\'t open file \'/app/ap.py\'' }), observed: /not running \(state "exited", exit code 1\)[\s\S]*ap\.py/ },
    { name: 'not published', check: { port: 9090, expect: { status: 200 } }, world: workload(published(8080, 40001)), observed: 'container port 9090 is not published' },
    { name: 'nothing publishes the host port', check: { hostPort: 8081, expect: { status: 200 } }, world: { http: { 8081: refused } }, observed: /connection refused[\s\S]*no running container publishes host port 8081/ },
    { name: 'a wrong status, in French', lang: 'fr', check: { port: 8080, path: '/nope', expect: { status: 404 } }, world: { ...workload(published(8080, 40001)), http: { 40001: http200('index') } }, observed: 'HTTP 200, corps : index', expected: 'HTTP 404' },
    { name: 'a timeout is said in French', lang: 'fr', check: { port: 8080, expect: { status: 200 } }, world: { ...workload(published(8080, 40001), { sockets: null }), http: { 40001: { ok: false, failure: 'timeout', error: 'x' } } }, observed: 'pas de réponse HTTP : pas de réponse complète à temps' },
  ],
  invalid: [
    { name: 'both port and hostPort', check: { port: 8080, hostPort: 8080, expect: {} }, problem: 'give exactly one of "port" (container port) or "hostPort"' },
    { name: 'an invalid regular expression', check: { port: 8080, expect: { bodyMatches: '(' } }, problem: /not a valid regular expression/ },
    { name: 'a regular expression with catastrophic backtracking', check: { port: 8080, expect: { bodyMatches: '^(a+)+$' } }, problem: /backtrack catastrophically/ },
  ],
});

testCheckKind(portClosed as never, {
  passing: [
    { name: 'nothing answers on 80', check: { port: 80 }, world: { ...workload(published(80, 40002)), http: { 40002: { ok: false, failure: 'reset', error: 'x' } } } },
    { name: 'not published at all', check: { port: 80 }, world: workload(published(8080, 40001)) },
  ],
  failing: [
    { name: 'nginx still answers on 80', check: { port: 80 }, world: { ...workload(published(80, 40002)), http: { 40002: http200('Welcome to nginx!') } }, observed: 'HTTP 200, body: Welcome to nginx!' },
    { name: 'in French', lang: 'fr', check: { hostPort: 8080 }, world: { http: { 8080: httpStatus(301) } }, observed: 'HTTP 301' },
  ],
});

describe('a steady wrong answer', () => {
  it('is final after three identical answers over 1.5 s, not before, and a change starts over', () => {
    let now = 0;
    const steady = steadyAnswer(() => now);
    const notFound = httpStatus(404, 'Not Found') as Extract<ReturnType<typeof httpStatus>, { ok: true }>;
    expect(steady(notFound)).toBe(false);
    now = 500;
    expect(steady(notFound)).toBe(false);
    now = 1000;
    expect(steady(notFound)).toBe(false);
    now = 1600;
    expect(steady(notFound)).toBe(true);
    now = 1700;
    expect(steady(httpStatus(503, 'starting') as typeof notFound)).toBe(false);
  });
});
