import { exitCodeFor, score, type CheckResult, type Result } from '../../grader/src/result.js';
import { REPORTERS } from '../../grader/src/report/index.js';

function check(id: string, status: CheckResult['status'], points: number, maxPoints: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: `Title of ${id}`, status, points, maxPoints, message: `message of ${id}`, hint: null, expected: null, observed: null, durationMs: 1, ...extra };
}

const result: Result = {
  lab: 'lab-03',
  title: 'Image non-root',
  checks: [
    check('builds', 'passed', 2, 2),
    check('non-root-user', 'failed', 0, 3, { expected: 'a USER whose uid is not 0', observed: 'USER "appuser" → uid 0\n(second line)', hint: 'Create a user' }),
    check('http-ok', 'skipped', 0, 3, { message: 'not evaluated: prerequisite "stays-running" did not pass' }),
    check('logs', 'error', 0, 2, { message: 'could not be evaluated: engine went away' }),
  ],
  ...score([check('a', 'passed', 2, 2), check('b', 'failed', 0, 3), check('c', 'skipped', 0, 3), check('d', 'error', 0, 2)]),
  lang: 'en',
  submission: '/tmp/sub',
  notes: ['Container started'],
  durationMs: 1234,
};

describe('score', () => {
  it('adds points and max points, rounding to cents', () => {
    expect(score([check('a', 'passed', 0.1, 0.1), check('b', 'passed', 0.2, 0.2), check('c', 'failed', 0, 1)])).toEqual({ score: 0.3, maxScore: 1.3 });
  });
  it('exit code is 0 only when every check passed', () => {
    expect(exitCodeFor(result)).toBe(1);
    expect(exitCodeFor({ ...result, checks: [check('a', 'passed', 1, 1)] })).toBe(0);
  });
});

describe('terminal reporter', () => {
  const text = REPORTERS.terminal!(result, { color: false });
  it('lists every check with its mark and points', () => {
    expect(text).toContain('✓ 2/2  Title of builds [builds]');
    expect(text).toContain('✗ 0/3  Title of non-root-user [non-root-user]');
    expect(text).toContain('– 0/3  Title of http-ok');
    expect(text).toContain('! 0/2  Title of logs');
  });
  it('says what was expected, what was observed (all lines) and the hint for a failure', () => {
    expect(text).toMatch(/expected: a USER whose uid is not 0\n\s+observed: USER "appuser" → uid 0\n\s+\(second line\)\n\s+hint: Create a user/);
  });
  it('explains skipped and error checks', () => {
    expect(text).toContain('not evaluated: prerequisite "stays-running" did not pass');
    expect(text).toContain('could not be evaluated: engine went away');
  });
  it('ends with the score', () => {
    expect(text.trim().split('\n').pop()).toMatch(/^Score: 2\/10 {2}3 check\(s\) to look at\.$/);
  });
  it('has no escape codes without colour, and some with', () => {
    expect(text).not.toMatch(/\x1b\[/);
    expect(REPORTERS.terminal!(result, { color: true })).toMatch(/\x1b\[32m✓/);
  });
  it('speaks French', () => {
    const fr = REPORTERS.terminal!({ ...result, lang: 'fr' }, { color: false });
    expect(fr).toContain('attendu : a USER');
    expect(fr).toContain('piste : Create a user');
    expect(fr).toMatch(/^Score : 2\/10/m);
  });
});

describe('json reporter', () => {
  it('prints exactly the result contract fields', () => {
    const parsed = JSON.parse(REPORTERS.json!(result, { color: false })) as Record<string, unknown> & { checks: Record<string, unknown>[] };
    expect(parsed).toMatchObject({ lab: 'lab-03', score: 2, maxScore: 10 });
    for (const c of parsed.checks) {
      for (const field of ['id', 'title', 'status', 'points', 'maxPoints', 'message', 'hint']) expect(c).toHaveProperty(field);
      expect(['passed', 'failed', 'skipped', 'error']).toContain(c.status);
    }
  });
});
