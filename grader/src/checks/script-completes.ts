import { Type } from '@sinclair/typebox';
import { lastLines } from '../engine/index.js';
import { defineCheck } from './types.js';

export const scriptCompletes = defineCheck({
  kind: 'script-completes',
  description: "The student's script runs at least one docker command and ends on its own within the time limit (containers run detached), whatever its exit code.",
  example: {},
  params: Type.Object({}),
  needs: ['script'],
  messages: {
    fr: {
      title: 'Le script se termine tout seul',
      expected: 'le script lance des commandes docker et se termine en moins de {limit} s',
      finished: 'terminé en {seconds} s (code de sortie {exitCode})',
      timedOut: 'toujours en cours après {limit} s : arrêté par le correcteur. {why}\n{output}',
      forgotDetach: 'La dernière commande lancée, `{command}`, reste attachée au conteneur jusqu’à sa fin : avez-vous oublié -d ?',
      lastCommand: 'La dernière commande docker lancée, `{command}`, ne s’est jamais terminée.',
      notDocker: 'Une commande qui n’est pas docker ne s’est jamais terminée (aucune commande docker lancée).',
      notDockerLine: 'La ligne {line} de {script}, `{text}`, ne s’est jamais terminée (ce n’est pas une commande docker).',
      atLine: '(ligne {line} de {script})',
      missing: '{script} est introuvable dans votre rendu',
      noDocker: 'terminé en {seconds} s sans lancer une seule commande docker : écrivez les commandes demandées dans {script}',
    },
    en: {
      title: 'The script finishes on its own',
      expected: 'the script runs docker commands and ends within {limit} s',
      finished: 'finished in {seconds} s (exit code {exitCode})',
      timedOut: 'still running after {limit} s: stopped by the grader. {why}\n{output}',
      forgotDetach: 'The last command it started, `{command}`, stays attached to its container until it ends: did you forget -d?',
      lastCommand: 'The last docker command it started, `{command}`, never returned.',
      notDocker: 'A command other than docker never returned (no docker command was started).',
      notDockerLine: 'Line {line} of {script}, `{text}`, never returned (it is not a docker command).',
      atLine: '(line {line} of {script})',
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
      const why = whyStillRunning(s.dockerCalls, say, s.hung ? { ...s.hung, script: s.script } : null);
      return { passed: false, expected, observed: say('timedOut', { limit: s.timeoutSeconds, output, why }), ...(s.hung ? { location: { file: s.script, line: s.hung.line } } : {}) };
    }
    if (s.dockerCalls.length === 0) return { passed: false, expected, observed: say('noDocker', { seconds: (s.durationMs / 1000).toFixed(1), script: s.script }) };
    return { passed: true, expected, observed: say('finished', { seconds: (s.durationMs / 1000).toFixed(1), exitCode: s.exitCode }) };
  },
});

/**
 * What kept the script waiting: the line it was on when stopped, when bash told us,
 * and the recorded docker call it was most likely stuck in (the last one it started).
 */
export function whyStillRunning(
  calls: string[],
  say: (id: 'forgotDetach' | 'lastCommand' | 'notDocker' | 'notDockerLine' | 'atLine', data?: Record<string, unknown>) => string,
  hung: { line: number; text: string; script: string } | null = null,
): string {
  if (hung && !/(^|[\s;&|(`$/"'])docker(-compose)?(\s|$)/.test(hung.text)) return say('notDockerLine', hung);
  const at = hung ? ` ${say('atLine', hung)}` : '';
  const command = calls[calls.length - 1];
  if (!command) return say('notDocker') + at;
  const words = command.split(/\s+/);
  const run = words[1] === 'run' || (words[1] === 'container' && words[2] === 'run');
  const detached = words.some((w) => w === '--detach' || w === '--detach=true' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(w));
  return say(run && !detached ? 'forgotDetach' : 'lastCommand', { command: command.length > 120 ? `${command.slice(0, 120)}…` : command }) + at;
}
