import { Type } from '@sinclair/typebox';
import { defineCheck } from './types.js';

export const buildCacheReused = defineCheck({
  kind: 'build-cache-reused',
  description: 'After the grader\'s `rebuild` action (a file edited), every build step up to and including the first one whose instruction has `keyword` and contains `contains` (e.g. the RUN that installs requirements.txt) came from the layer cache. Read from the builder\'s own output ("Using cache" / "CACHED"), with either builder.',
  example: { through: { keyword: 'RUN', contains: 'requirements' } },
  params: Type.Object({
    through: Type.Object(
      { keyword: Type.String({ minLength: 2, maxLength: 20 }), contains: Type.String({ minLength: 1, maxLength: 200 }) },
      { additionalProperties: false },
    ),
  }),
  needs: ['rebuild'],
  titleData: (check) => ({ keyword: check.through.keyword.toUpperCase(), contains: check.through.contains }),
  messages: {
    en: {
      title: 'After an edit, the layers up to the {keyword} with "{contains}" come from the cache',
      expected: 'every step up to and including the {keyword} with "{contains}" served from the cache ("Using cache" / "CACHED")',
      noStep: 'no {keyword} instruction containing "{contains}" in the build ({builder} builder): {steps}',
      rebuilt: 'rebuilt, not cached: {list}',
      allCached: 'cached: {list}',
      step: '{instruction} (line {line})',
    },
    fr: {
      title: 'Après une modification, les couches jusqu’au {keyword} avec « {contains} » viennent du cache',
      expected: 'toutes les étapes jusqu’au {keyword} avec « {contains} » inclus servies par le cache (« Using cache » / « CACHED »)',
      noStep: 'aucune instruction {keyword} contenant « {contains} » dans la construction (constructeur {builder}) : {steps}',
      rebuilt: 'reconstruites, pas en cache : {list}',
      allCached: 'en cache : {list}',
      step: '{instruction} (ligne {line})',
    },
  },
  async evaluate(check, ctx, say) {
    const keyword = check.through.keyword.toUpperCase();
    const expected = say('expected', { keyword, contains: check.through.contains });
    const rebuild = ctx.rebuild!;
    const steps = rebuild.steps.filter((s) => !/^FROM\b/i.test(s.instruction));
    const describe = (s: (typeof steps)[number]) => say('step', { instruction: s.instruction.length > 70 ? `${s.instruction.slice(0, 70)}…` : s.instruction, line: s.line ?? '?' });
    const target = steps.findIndex((s) => s.instruction.toUpperCase().startsWith(keyword) && s.instruction.toLowerCase().includes(check.through.contains.toLowerCase()));
    if (target === -1) return { passed: false, expected, observed: say('noStep', { keyword, contains: check.through.contains, builder: rebuild.builder, steps: steps.map(describe).join(', ') || '-' }) };
    const upTo = steps.slice(0, target + 1);
    const rebuilt = upTo.filter((s) => !s.cached);
    if (rebuilt.length === 0) return { passed: true, expected, observed: say('allCached', { list: upTo.map(describe).join(', ') }) };
    const first = rebuilt[0]!;
    return {
      passed: false,
      expected,
      observed: say('rebuilt', { list: rebuilt.map(describe).join(', ') }),
      ...(first.line !== null ? { location: { file: rebuild.dockerfile, line: first.line } } : {}),
    };
  },
});
