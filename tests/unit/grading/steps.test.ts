import { describe, expect, it } from '@jest/globals';
import { runSteps, firstLine, type StepRun } from '../../../grader/src/grading/steps.js';
import { sayIn } from '../../../grader/src/i18n/messages.js';
import type { Lab } from '../../../grader/src/spec/schema.js';

// A lab whose action cannot be done (nothing answers HTTP), with a check that needs that action
// and a check that needs a check. The action's own reason must reach its dependant's skip: a
// student (or a teacher reading a CI log) sees why the check was not evaluated without hunting
// for the action's row.
const lab = {
  id: 'lab-99',
  steps: [
    { id: 'poke', action: 'http-request', hostPort: 9, path: '/break' },
    { id: 'after-poke', kind: 'http', points: 2, port: 80, path: '/', expect: { status: 200 }, requires: ['poke'] },
    { id: 'after-check', kind: 'http', points: 1, port: 80, path: '/', expect: { status: 200 }, requires: ['after-poke'] },
  ],
} as unknown as Lab;

function run(lang: 'en' | 'fr', answer: { ok: false; failure: 'refused'; error: string }): StepRun {
  return {
    base: { lang, http: async () => answer } as unknown as StepRun['base'],
    facts: {},
    prepared: { unavailable: {} } as unknown as StepRun['prepared'],
    lang,
    say: sayIn(lang),
    signal: new AbortController().signal,
    stopReason: () => null,
    deadlineSeconds: 60,
    progress: () => undefined,
    checks: [],
    actions: [],
  };
}

describe('runSteps: a skipped step says why its prerequisite did not happen', () => {
  it.each(['en', 'fr'] as const)('an action that failed gives its reason to the check that requires it (%s)', async (lang) => {
    const r = run(lang, { ok: false, failure: 'refused', error: 'connect ECONNREFUSED 127.0.0.1:9' });
    await runSteps(lab, r);
    expect(r.actions.map((a) => a.status)).toEqual(['failed']);
    const [afterPoke, afterCheck] = r.checks;
    expect(afterPoke!.status).toBe('skipped');
    expect(afterPoke!.message.startsWith(sayIn(lang)('skippedRequires', { ids: 'poke' }))).toBe(true);
    // The action's own first line, after the usual sentence.
    expect(afterPoke!.message).toContain(`(poke: ${firstLine(r.actions[0]!.message)})`);
    expect(r.actions[0]!.message).toMatch(/ECONNREFUSED|refus/i);
    // A check's failure is its own row in every report: its dependant keeps the short sentence.
    expect(afterCheck!.status).toBe('skipped');
    expect(afterCheck!.message).not.toContain('(');
  });
});

describe('firstLine', () => {
  it('keeps the first non-empty line, trimmed', () => {
    expect(firstLine('\n  build failed: exit 1  \nstep 3/5')).toBe('build failed: exit 1');
  });
  it('cuts a long line at 200 characters', () => {
    const cut = firstLine('x'.repeat(500));
    expect(cut).toHaveLength(200);
    expect(cut.endsWith('…')).toBe(true);
  });
  it('gives an empty string for an empty message', () => {
    expect(firstLine('')).toBe('');
  });
});
