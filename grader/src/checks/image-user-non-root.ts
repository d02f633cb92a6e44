import { Type } from '@sinclair/typebox';
import { resolveUser } from '../lib/passwd.js';
import { finalStageLine } from './common.js';
import { defineCheck } from './types.js';

export const imageUserNonRoot = defineCheck({
  kind: 'image-user-non-root',
  description: "The image's configured USER resolves, through the image's own /etc/passwd, to a uid other than 0 (a name mapped to uid 0 is root).",
  example: {},
  params: Type.Object({}),
  needs: ['image'],
  messages: {
    fr: {
      title: "L'image s'exécute avec un utilisateur non-root",
      expected: "un USER dont l'uid, dans l'image, n'est pas 0",
      observed: 'USER « {user} » → uid {uid} ({via})',
      unresolved: 'USER « {user} » : {reason}',
    },
    en: {
      title: 'The image runs as a non-root user',
      expected: 'a USER whose uid, inside the image, is not 0',
      observed: 'USER "{user}" → uid {uid} ({via})',
      unresolved: 'USER "{user}": {reason}',
    },
  },
  async evaluate(_check, ctx, say) {
    const image = ctx.image!;
    const { user } = await image.config();
    const expected = say('expected');
    const needsFiles = user.split(':').some((part) => part !== '' && !/^\d+$/.test(part));
    const [passwd, group] = needsFiles || user !== '' ? await Promise.all([image.readFile('/etc/passwd'), image.readFile('/etc/group')]) : [null, null];
    const resolved = resolveUser(user, passwd, group);
    const location = finalStageLine(ctx, user === '' ? 'FROM' : 'USER');
    const at = location ? { location } : {};
    if (!resolved.ok) return { passed: false, expected, observed: say('unresolved', { user, reason: resolved.reason }), ...at };
    return { passed: resolved.uid !== 0, expected, observed: say('observed', { user, uid: resolved.uid, via: resolved.via }), ...at };
  },
});
