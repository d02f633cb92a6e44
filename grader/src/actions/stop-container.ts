import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, describeLog, targetContainer } from '../checks/common.js';
import { defineAction } from './types.js';

export const stopContainer = defineAction({
  action: 'stop-container',
  description: 'Runs `docker stop -t timeoutSeconds` on a container (the workload\'s own by default) and times it: `container-stops` then judges how it stopped.',
  example: { timeoutSeconds: 6 },
  params: Type.Object({
    container: ContainerName,
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, default: 10 })),
  }),
  needs: containerNeeds,
  produces: ['stop'],
  titleData: (step) => ({ timeout: step.timeoutSeconds ?? 10 }),
  messages: {
    en: { title: 'The grader stops the container with docker stop -t {timeout}', done: 'stopped in {seconds} s, exit code {code}', doneTeardown: 'stopped {seconds} s after the signal, exit code {code} (docker stop returned after {returned} s: the rest was the engine tearing the container down)', notRunning: 'the container was not running when the grader wanted to stop it\n{logs}' },
    fr: { title: 'Le correcteur arrête le conteneur avec docker stop -t {timeout}', done: 'arrêté en {seconds} s, code de sortie {code}', doneTeardown: "arrêté {seconds} s après le signal, code de sortie {code} (docker stop a rendu la main après {returned} s : le reste, c'est le moteur qui démontait le conteneur)", notRunning: "le conteneur n'était pas en marche quand le correcteur a voulu l'arrêter\n{logs}" },
  },
  async perform(step, ctx, say) {
    const container = await targetContainer(step, ctx, '');
    if ('passed' in container) return { status: 'failed', message: container.observed };
    const state = await container.state();
    if (!state.running) return { status: 'failed', message: say('notRunning', { logs: describeLog(await container.logs(), ctx.lang) }) };
    const stop = await ctx.engine.stopContainer(container, step.timeoutSeconds ?? 10);
    const seconds = (stop.durationMs / 1000).toFixed(1);
    const returned = (stop.returnedMs / 1000).toFixed(1);
    const message = returned === seconds ? say('done', { seconds, code: stop.exitCode }) : say('doneTeardown', { seconds, returned, code: stop.exitCode });
    return { status: 'done', message, facts: { stop } };
  },
});
