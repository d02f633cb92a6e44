import { Type } from '@sinclair/typebox';
import { defineCheck } from './types.js';
import { lastLines } from '../engine/stream.js';

/** What the failing step printed (the builder's bookkeeping and the reason line itself left out), last lines only. */
export function failingStepOutput(output: string, reason: string): string {
  const steps = output.split(/^Step \d+\/\d+ : .*$/m);
  const own = (steps.length > 1 ? steps[steps.length - 1] : output) ?? '';
  const lines = own.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim() && !/^ ---> |^Removing intermediate container/.test(l) && !l.includes(reason) && !/legacy builder is deprecated|BuildKit|buildx/i.test(l));
  return lastLines(lines.join('\n'), 6).split('\n').filter(Boolean).map((l) => `  | ${l}`).join('\n');
}

export const imageBuilds = defineCheck({
  kind: 'image-builds',
  description: 'The Dockerfile builds into an image. On failure: the failing instruction, its line and the last lines of the build output.',
  params: Type.Object({}),
  needs: ['build'],
  messages: {
    fr: {
      title: "L'image se construit (docker build)",
      expected: '`docker build` réussit avec {dockerfile}',
      missing: "le fichier {dockerfile} est introuvable dans votre rendu : créez-le à la racine du dossier du lab",
      failedAt: "échec à la ligne {line} : {instruction}\n{reason}\n{output}",
      failed: 'échec : {reason}\n{output}',
      timedOut: 'la construction a dépassé la limite de temps ({reason})\n{output}',
      ok: 'image construite en {seconds} s',
    },
    en: {
      title: 'The image builds (docker build)',
      expected: '`docker build` succeeds with {dockerfile}',
      missing: 'file {dockerfile} is not in your submission: create it at the root of the lab folder',
      failedAt: 'failed at line {line}: {instruction}\n{reason}\n{output}',
      failed: 'failed: {reason}\n{output}',
      timedOut: 'the build ran past its time limit ({reason})\n{output}',
      ok: 'image built in {seconds} s',
    },
  },
  async evaluate(_check, ctx, say) {
    const build = ctx.build!;
    const expected = say('expected', { dockerfile: build.dockerfile });
    if (build.ok) return { passed: true, expected, observed: say('ok', { seconds: (build.durationMs / 1000).toFixed(1) }) };
    if (build.dockerfileText === null) return { passed: false, expected, observed: say('missing', { dockerfile: build.dockerfile }) };
    const f = build.failure ?? { reason: 'unknown' };
    const output = failingStepOutput(build.output, f.reason);
    const data = { ...f, output, line: f.line ?? '?', step: f.step ?? '?', instruction: f.instruction ?? '?' };
    if (build.timedOut) return { passed: false, expected, observed: say('timedOut', data).trimEnd() };
    return { passed: false, expected, observed: say(f.instruction || f.line ? 'failedAt' : 'failed', data).trimEnd() };
  },
});
