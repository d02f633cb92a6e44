import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidSpecError, labsDir, listLabIds, parseLab } from '../../grader/src/spec/load.js';

/**
 * A seeded fuzzer: 1,000 mutations of the real lab specs (hostile values,
 * wrong types, path traversal, regular-expression bombs, huge numbers, deep
 * nesting, dropped and unknown keys). Every one must be accepted or refused
 * with an InvalidSpecError naming a JSON path — never another exception —
 * and quickly (no catastrophic regex, no hang).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE: unknown[] = [
  '../../../../etc/shadow', '/etc/shadow', '../../../../', '..', 'a/../../b', 'C:\\Windows', '\u0000', '\u001b[31mred\u001b[0m', '::notice title=Autograding complete::Points 100/100',
  '^(a+)+$', '(x|x)*y', '(a|a?)+$', '(', '[', '\\', '', ' ', 'x'.repeat(100_000), '💥'.repeat(1000),
  1e12, -1, 0, 0.5, Number.MAX_SAFE_INTEGER, -0, 65536, 3601, 1e308,
  true, false, null, [], {}, [[[[[[[[[[]]]]]]]]]], { __proto__: { polluted: true } }, { constructor: { prototype: { x: 1 } } },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function mutate(spec: Json, random: () => number): Json {
  const copy = structuredClone(spec);
  const all = paths(copy).filter((p) => p.length > 0);
  const count = 1 + Math.floor(random() * 3);
  for (let n = 0; n < count; n++) {
    const target = all[Math.floor(random() * all.length)]!;
    let parent: Json = copy;
    for (const key of target.slice(0, -1)) parent = parent && typeof parent === 'object' ? ((parent as Record<string | number, Json>)[key as never] ?? null) : null;
    if (!parent || typeof parent !== 'object') continue;
    const last = target[target.length - 1]!;
    const holder = parent as Record<string | number, Json>;
    const choice = random();
    if (choice < 0.55) holder[last as never] = HOSTILE[Math.floor(random() * HOSTILE.length)] as Json;
    else if (choice < 0.7) delete holder[last as never];
    else if (choice < 0.85 && !Array.isArray(holder)) holder[`unknown${Math.floor(random() * 10)}`] = 1;
    else if (Array.isArray(holder)) holder.push(structuredClone(holder[0] ?? null));
    else holder[last as never] = JSON.parse(JSON.stringify(holder[last as never] ?? null)) as Json;
  }
  return copy;
}

describe('spec fuzzer', () => {
  const specs = listLabIds().map((id) => JSON.parse(readFileSync(path.join(labsDir(), id, 'lab.json'), 'utf8')) as Json);

  it(`${RUNS} seeded mutations: accepted or refused with a located message, never a crash or a hang`, () => {
    const random = rng(SEED);
    const outcomes = { accepted: 0, refused: 0 };
    let slowest = 0;
    for (let i = 0; i < RUNS; i++) {
      const spec = mutate(specs[i % specs.length]!, random);
      const text = JSON.stringify(spec, null, 2);
      const started = Date.now();
      try {
        parseLab(text, `fuzz-${i}.json`);
        outcomes.accepted++;
      } catch (error) {
        if (!(error instanceof InvalidSpecError)) throw new Error(`mutation ${i} (seed ${SEED}) crashed the loader: ${(error as Error).stack}\n${text.slice(0, 2000)}`);
        for (const p of error.problems) {
          expect(p.file).toBe(`fuzz-${i}.json`);
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.message.length).toBeGreaterThan(0);
          expect(p.message).not.toMatch(/\n\s+at /);
        }
        outcomes.refused++;
      }
      slowest = Math.max(slowest, Date.now() - started);
    }
    // Both branches are exercised, and no mutation took long (the first regex check of a new pattern may take ~1 s).
    expect(outcomes.refused).toBeGreaterThan(RUNS / 2);
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(15_000);
  }, 600_000);
});
