import { Type } from '@sinclair/typebox';
import { parseImageRef } from '../lib/image-ref.js';
import { ContainerName, containerNeeds, isObservation, targetContainer } from './common.js';
import { defineCheck } from './types.js';

export const containerImage = defineCheck({
  kind: 'container-image',
  description: 'A container was created from an image of the given repository (any tag), whether it was named by tag or by id.',
  example: { container: 'mon-serveur', repository: 'nginx' },
  params: Type.Object({ container: ContainerName, repository: Type.String({ minLength: 1, maxLength: 256 }) }),
  needs: containerNeeds,
  messages: {
    en: { title: 'The container{named} was created from a {repository} image', expected: 'a {repository} image (any tag)', observed: 'image "{image}" (tags: {tags})' },
    fr: { title: 'Le conteneur{named} est créé depuis une image {repository}', expected: 'une image {repository} (tag libre)', observed: 'image « {image} » (tags : {tags})' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { repository: check.repository });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const state = await container.state();
    const wanted = parseImageRef(check.repository).repository;
    const names = [state.image, ...state.imageTags];
    const passed = names.some((n) => !/^sha256:|^[0-9a-f]{12,64}$/.test(n) && parseImageRef(n).repository === wanted);
    return { passed, expected, observed: say('observed', { image: state.image, tags: state.imageTags.join(', ') || '-' }) };
  },
});
