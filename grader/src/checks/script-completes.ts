import { Type } from '@sinclair/typebox';
import { lastLines } from '../engine/stream.js';
import { defineCheck } from './types.js';

export const scriptCompletes = defineCheck({
  kind: 'script-completes',
  description: "The student's script runs at least one docker command and ends on its own within the time limit (containers run detached), whatever its exit code.",
  params: Type.Object({}),
  needs: ['script'],
  messages: {
    fr: {
      title: 'Le script se termine tout seul',
      expected: 'le script lance des commandes docker et se termine en moins de {limit} s',
      finished: 'terminé en {seconds} s (code de sortie {exitCode})',
      timedOut: "toujours en cours après {limit} s : arrêté par le correcteur. Un `docker run` sans -d attend la fin du conteneur : avez-vous oublié -d ?\n{output}",
      missing: '{script} est introuvable dans votre rendu',
      noDocker: 'terminé en {seconds} s sans lancer une seule commande docker : écrivez les commandes demandées dans {script}',
    },
    en: {
      title: 'The script finishes on its own',
      expected: 'the script runs docker commands and ends within {limit} s',
      finished: 'finished in {seconds} s (exit code {exitCode})',
      timedOut: 'still running after {limit} s: stopped by the grader. A `docker run` without -d waits for the container to end: did you forget -d?\n{output}',
      missing: '{script} is not in your submission',
      noDocker: 'finished in {seconds} s without running a single docker command: write the commands the task asks for in {script}',
    },
  },
  async evaluate(_check, ctx, say) {
    const s = ctx.script!;
    const expected = say('expected', { limit: s.timeoutSeconds });
    if (s.exitCode === null && !s.timedOut) return { passed: false, expected, observed: say('missing', { script: s.script }) };
    if (s.timedOut) {
      const output = lastLines(s.output, 4).split('\n').filter(Boolean).map((l) => `  | ${l}`).join('\n');
      return { passed: false, expected, observed: say('timedOut', { limit: s.timeoutSeconds, output }) };
    }
    if (s.dockerCalls.length === 0) return { passed: false, expected, observed: say('noDocker', { seconds: (s.durationMs / 1000).toFixed(1), script: s.script }) };
    return { passed: true, expected, observed: say('finished', { seconds: (s.durationMs / 1000).toFixed(1), exitCode: s.exitCode }) };
  },
});
