import { Type } from '@sinclair/typebox';
import { RelativePath } from '../spec/schema.js';
import { defineAction } from './types.js';

export const rebuild = defineAction({
  action: 'rebuild',
  description: "Edits a file in a copy of the submission (the student's files are never touched) and builds the image again with the same builder and cache: checks after it observe the rebuild (e.g. `build-cache-reused`).",
  example: { edit: { file: 'app.py', append: '\n# edited by the grader {run}\n' } },
  params: Type.Object({
    edit: Type.Object(
      {
        file: RelativePath('The file to edit, relative to the submission.'),
        append: Type.String({ minLength: 1, maxLength: 1000, description: 'Text appended to the file; it must hold {run}, replaced by a value unique to each grading.' }),
      },
      { additionalProperties: false },
    ),
  }),
  needs: ['build'],
  operations: ['rebuild'],
  // Layer caches are shared between gradings: an edit made twice is found in the cache the second time.
  validate: (step) => (step.edit.append.includes('{run}') ? [] : [{ path: '/edit/append', message: 'must contain {run} (replaced by a value unique to each grading): the same edit made by two gradings would hit the layer cache the second time and hide a cache mistake' }]),
  produces: ['rebuild'],
  titleData: (step) => ({ file: step.edit.file }),
  messages: {
    en: { title: 'The grader edits {file} and rebuilds the image', done: 'rebuilt in {seconds} s after editing {file}', failed: 'the rebuild after editing {file} failed: {reason}', missing: '{file} is not in your submission: the grader cannot edit it' },
    fr: { title: "Le correcteur modifie {file} et reconstruit l'image", done: 'reconstruite en {seconds} s après modification de {file}', failed: 'la reconstruction après modification de {file} a échoué : {reason}', missing: "{file} n'est pas dans votre rendu : le correcteur ne peut pas le modifier" },
  },
  async perform(step, ctx, say) {
    const rebuilt = await ctx.operations.rebuild!(step.edit);
    if ('missingFile' in rebuilt) return { status: 'failed', message: say('missing', { file: rebuilt.missingFile }) };
    const { build } = rebuilt;
    if (!build.ok) return { status: 'failed', message: say('failed', { file: step.edit.file, reason: build.failure?.reason ?? '?' }) };
    return { status: 'done', message: say('done', { file: step.edit.file, seconds: (build.durationMs / 1000).toFixed(1) }), facts: { rebuild: build } };
  },
});
