import { Type } from '@sinclair/typebox';
import { finalBase, parseDockerfile } from '../dockerfile/parse.js';
import { parseImageRef } from '../lib/image-ref.js';
import { regexProblems } from './common.js';
import { defineCheck } from './types.js';

/** A text check, allowed because the lesson is about the text: the base image is named with an explicit, pinned tag. */
export const imageBase = defineCheck({
  kind: 'image-base',
  description: "The final stage's base image (following FROM <stage> chains and ARG defaults) is the given repository, with an explicit tag other than `latest` that matches `tagPattern`.",
  example: { repository: 'python', tagPattern: '^3\\.11' },
  params: Type.Object({
    repository: Type.String({ minLength: 1, maxLength: 256, description: 'e.g. "python" (Docker Hub prefixes are ignored)' }),
    tagPattern: Type.Optional(Type.String({ maxLength: 200, description: 'Regular expression the tag must match, e.g. "^3\\\\.11"' })),
  }),
  needs: ['build'],
  validate(check) {
    return check.tagPattern === undefined ? [] : regexProblems(check.tagPattern, '', '/tagPattern');
  },
  messages: {
    fr: {
      title: "L'image de base est {repository} avec un tag explicite et figé",
      expected: 'FROM {repository}:<tag>{pattern}, tag différent de « latest »',
      observed: 'FROM {base} (ligne {line}){why}',
      noDockerfile: 'pas de Dockerfile',
      noFrom: 'aucune instruction FROM (ou étape finale FROM scratch)',
      noTag: ' : aucun tag, Docker prend donc « latest »',
      latest: ' : « latest » change sans prévenir',
      otherRepo: ' : ce n’est pas {repository}',
      badTag: ' : le tag ne correspond pas à {pattern}',
    },
    en: {
      title: 'The base image is {repository} with an explicit, pinned tag',
      expected: 'FROM {repository}:<tag>{pattern}, a tag other than "latest"',
      observed: 'FROM {base} (line {line}){why}',
      noDockerfile: 'no Dockerfile',
      noFrom: 'no FROM instruction (or the final stage is FROM scratch)',
      noTag: ': no tag, so Docker uses "latest"',
      latest: ': "latest" changes without notice',
      otherRepo: ': that is not {repository}',
      badTag: ': the tag does not match {pattern}',
    },
  },
  async evaluate(check, ctx, say) {
    const pattern = check.tagPattern ? ` (${check.tagPattern})` : '';
    const expected = say('expected', { repository: check.repository, pattern });
    const text = ctx.build?.dockerfileText;
    if (text == null) return { passed: false, expected, observed: say('noDockerfile') };
    const base = finalBase(parseDockerfile(text));
    if (!base) return { passed: false, expected, observed: say('noFrom') };
    const ref = parseImageRef(base.base);
    const wantedRepo = parseImageRef(check.repository).repository;
    let why = '';
    if (ref.repository !== wantedRepo) why = say('otherRepo', { repository: check.repository });
    else if (ref.tag === null && ref.digest === null) why = say('noTag');
    else if (ref.tag === 'latest') why = say('latest');
    else if (check.tagPattern && ref.tag !== null && !new RegExp(check.tagPattern).test(ref.tag)) why = say('badTag', { pattern: check.tagPattern });
    else if (check.tagPattern && ref.tag === null) why = say('badTag', { pattern: check.tagPattern });
    return { passed: why === '', expected, observed: say('observed', { base: base.base, line: base.line, why }), location: { file: ctx.build!.dockerfile, line: base.line } };
  },
});
