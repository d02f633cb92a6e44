import { Type } from '@sinclair/typebox';
import { truncate } from './common.js';
import { defineCheck } from './types.js';

export const composeUp = defineCheck({
  kind: 'compose-up',
  example: {},
  description: "`compose up -d --build` of the submission's Compose file succeeded (Compose workloads). On failure the report gives compose's own message, and the file's line when compose names one (or names a property the grader finds in the file).",
  params: Type.Object({}),
  needs: ['compose'],
  messages: {
    en: {
      title: 'compose up -d --build starts the application',
      expected: '`{command} up -d --build` succeeds with your compose file',
      started: '{file} started with Compose {version} in {seconds} s; services: {services}',
      missing: '{message}',
      invalid: 'compose refuses {file}{at}:\n{message}',
      failed: '`up -d --build` failed{at}:\n{message}',
      timeout: '`up -d --build` did not finish in time:\n{message}',
      at: ' (line {line})',
    },
    fr: {
      title: "compose up -d --build démarre l'application",
      expected: '`{command} up -d --build` réussit avec votre fichier compose',
      started: '{file} démarré avec Compose {version} en {seconds} s ; services : {services}',
      missing: '{message}',
      invalid: 'compose refuse {file}{at} :\n{message}',
      failed: '`up -d --build` a échoué{at} :\n{message}',
      timeout: '`up -d --build` ne s’est pas terminé à temps :\n{message}',
      at: ' (ligne {line})',
    },
  },
  async evaluate(_check, ctx, say) {
    const compose = ctx.compose!;
    const command = compose.version === 'v2' ? 'docker compose' : 'docker-compose';
    const expected = say('expected', { command });
    const { up } = compose;
    if (up.ok) {
      return { passed: true, expected, observed: say('started', { file: compose.file, version: `${compose.version} (${compose.versionText})`, seconds: (up.durationMs / 1000).toFixed(1), services: compose.services.join(', ') || '-' }) };
    }
    const problem = up.problem ?? { kind: 'failed' as const, message: truncate(up.output, 1500), line: null };
    const message = problem.kind === 'missing-file' ? problem.message : problem.message.split('\n').map((l) => `  | ${truncate(l, 300)}`).join('\n');
    const at = problem.line !== null ? say('at', { line: problem.line }) : '';
    const observed = say(problem.kind === 'missing-file' ? 'missing' : problem.kind, { file: compose.file, at, message });
    return { passed: false, expected, observed, ...(problem.line !== null && compose.file ? { location: { file: compose.file, line: problem.line } } : {}) };
  },
});
