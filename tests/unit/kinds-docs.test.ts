import { readFileSync } from 'node:fs';
import { ACTION_KINDS } from '../../grader/src/actions/index.js';
import { CHECK_KINDS } from '../../grader/src/checks/index.js';
import { fromRoot } from '../../grader/src/paths.js';
import { kindsReference } from '../../grader/src/spec/docs.js';
import { parseLab } from '../../grader/src/spec/load.js';
import { WORKLOAD_KINDS } from '../../grader/src/workloads/index.js';

/** Every kind documents itself with an example; the examples are real specs, and the README shows them as they are in the code. */
describe('the kinds reference', () => {
  it('every workload, check and action kind has an example', () => {
    const missing = [...WORKLOAD_KINDS.filter((k) => !k.example).map((k) => `workload ${k.kind}`), ...CHECK_KINDS.filter((k) => !k.example).map((k) => `check ${k.kind}`), ...ACTION_KINDS.filter((k) => !k.example).map((k) => `action ${k.action}`)];
    expect(missing).toEqual([]);
  });

  /** A workload whose facts, with those an action can produce, cover what a step needs. */
  // The simplest workloads first: a check that any workload feeds is shown on an image lab.
  const rank = (kind: string) => ['image', 'script'].indexOf(kind) + 1 || 3;
  const byPreference = [...WORKLOAD_KINDS].sort((a, b) => rank(a.kind) - rank(b.kind));
  const provided = (w: (typeof WORKLOAD_KINDS)[number]) => (typeof w.provides === 'function' ? w.provides(w.example as never) : w.provides);
  const needsOf = (kind: { needs: unknown }, example: Record<string, unknown>) => (typeof kind.needs === 'function' ? (kind.needs as (s: unknown) => string[])(example) : (kind.needs as string[]));

  it.each(CHECK_KINDS.map((k) => [k.kind, k] as const))('the example of check kind %s is a valid step', (_name, kind) => {
    const example = kind.example ?? {};
    const needs = needsOf(kind, example);
    const producer = ACTION_KINDS.find((a) => needs.some((need) => (a.produces ?? []).includes(need as never)));
    const workload = byPreference.filter((w) => w.example).find((w) => needs.every((need) => provided(w).includes(need as never) || (producer?.produces ?? []).includes(need as never)) && (producer?.operations ?? []).every((op) => w.operations.includes(op)))!;
    const steps = [...(producer ? [{ id: 'act', action: producer.action, ...producer.example }] : []), { id: 'ex', kind: kind.kind, points: 1, ...example }];
    expect(() => parseLab(JSON.stringify({ id: 'lab-99', title: 't', workload: workload.example, steps }))).not.toThrow();
  });

  it.each(ACTION_KINDS.map((a) => [a.action, a] as const))('the example of action %s is a valid step', (_name, action) => {
    const workload = byPreference.filter((w) => w.example).find((w) => (action.operations ?? []).every((op) => w.operations.includes(op)))!.example!;
    const lab = { id: 'lab-99', title: 't', workload, steps: [{ id: 'act', action: action.action, ...action.example }] };
    expect(() => parseLab(JSON.stringify(lab))).not.toThrow();
  });

  it('README.md shows the reference as generated from the code (npm run docs)', () => {
    expect(readFileSync(fromRoot('README.md'), 'utf8')).toContain(kindsReference());
  });
});
