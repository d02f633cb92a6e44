import { recordCount } from '../../../grader/src/actions/record-count.js';
import { firstInteger, httpCountIncreases } from '../../../grader/src/checks/http-count.js';
import { http200, httpStatus, refused, testActionKind, testCheckKind } from '../../helpers/check-tester.js';

const page = (n: number) => http200(`Cette page a été vue ${n} fois.\n`);

describe('the count in a body', () => {
  it('is the first decimal integer', () => {
    expect(firstInteger('Cette page a été vue 12 fois (depuis 2024).')).toBe(12);
    expect(firstInteger('{"visits": 7}')).toBe(7);
    expect(firstInteger('aucune visite')).toBeNull();
    expect(firstInteger('9'.repeat(30))).toBeNull();
  });
});

testCheckKind(httpCountIncreases as never, {
  passing: [
    { name: 'two GETs, 1 then 2', check: { hostPort: 8080 }, world: { http: { 8080: [page(1), page(2)] } }, observed: 'counts 1 then 2' },
    { name: 'after a 502 while the app starts', check: { hostPort: 8080, withinSeconds: 5 }, world: { http: { 8080: [httpStatus(502, 'Bad Gateway'), page(5), page(6)] } }, observed: 'counts 5 then 6' },
    { name: 'continues after down/up', check: { hostPort: 8080, since: 'avant-down' }, world: { counts: { 'avant-down': 3 }, http: { 8080: page(4) } }, observed: 'count 4, above 3 read before' },
  ],
  failing: [
    { name: 'the count does not go up (a fixed page)', check: { hostPort: 8080 }, world: { http: { 8080: [page(1), page(1)] } }, observed: 'counts 1 then 1: the count does not go up' },
    { name: 'web answers 502 (wrong proxy port)', check: { hostPort: 8080, withinSeconds: 0 }, world: { http: { 8080: httpStatus(502, '<html>502 Bad Gateway</html>') } }, observed: 'first GET: HTTP 502, body: <html>502 Bad Gateway</html>' },
    { name: 'a 200 without a number', check: { hostPort: 8080, withinSeconds: 0 }, world: { http: { 8080: http200('Welcome to nginx!') } }, observed: 'HTTP 200 without a number in the body: Welcome to nginx!' },
    { name: 'nothing on the port', check: { hostPort: 8080, withinSeconds: 0 }, world: { http: { 8080: refused } }, observed: 'first GET: no HTTP answer on port 8080: connection refused' },
    { name: 'the second GET fails', check: { hostPort: 8080 }, world: { http: { 8080: [page(1), httpStatus(503, 'Redis injoignable (cache:6379)')] } }, observed: 'second GET: HTTP 503' },
    { name: 'restarted from zero after down/up', check: { hostPort: 8080, since: 'avant-down' }, world: { counts: { 'avant-down': 3 }, http: { 8080: page(1) } }, observed: 'count 1, not above 3 read before: the count started again' },
    { name: 'in French', lang: 'fr', check: { hostPort: 8080, since: 'avant-down' }, world: { counts: { 'avant-down': 3 }, http: { 8080: page(1) } }, observed: 'le compteur est reparti de zéro' },
  ],
  invalid: [{ name: 'a since name that is not kebab-case', check: { hostPort: 8080, since: 'Avant Down' }, problem: 'pattern' }],
});

testActionKind(recordCount as never, {
  done: [{ name: 'reads the count', step: { hostPort: 8080, as: 'avant-down' }, world: { counts: { autre: 1 }, http: { 8080: page(7) } }, message: 'count 7 kept as "avant-down"', facts: { counts: { autre: 1, 'avant-down': 7 } } }],
  failed: [
    { name: 'no number', step: { hostPort: 8080, as: 'x', withinSeconds: 0 }, world: { http: { 8080: httpStatus(503, 'Redis injoignable') } }, message: 'no count could be read: HTTP 503, body: Redis injoignable' },
    { name: 'in French', lang: 'fr', step: { hostPort: 8080, as: 'x', withinSeconds: 0 }, world: {}, message: 'aucun compteur lisible : pas de réponse HTTP sur le port 8080' },
  ],
});
