import { Type } from '@sinclair/typebox';
import type { BuildFailure } from '../engine/index.js';
import { defineCheck } from './types.js';

/** Lines of the failing step's output shown in the report (the log file has them all). */
const SHOWN_OUTPUT_LINES = 6;
/** A RUN can be pages long; its line number points at the rest. */
const MAX_INSTRUCTION_SHOWN = 300;

/** The failing step's last lines, quoted; the builder's reason line is said in the report's own words instead. */
export function failingStepOutput(failure: Pick<BuildFailure, 'output' | 'reason'>): string {
  const lines = failure.output.filter((l) => l.trim() && l !== failure.reason).slice(-SHOWN_OUTPUT_LINES);
  return lines.map((l) => `\n  | ${l}`).join('');
}

/** Message id saying why, the same whichever builder built. */
function whyId(failure: BuildFailure) {
  switch (failure.kind) {
    case 'command':
      if (failure.exitCode === undefined) return 'whyOther';
      // 137 = 128 + SIGKILL: what the kernel does to a step past the build's memory limit.
      return failure.exitCode === 137 ? 'whyCommandKilled' : 'whyCommand';
    case 'missing-source':
      if (failure.path === undefined) return 'whyMissingSourceUnnamed';
      return /--from=/.test(failure.instruction ?? '') ? 'whyMissingInStage' : 'whyMissingSource';
    case 'syntax':
      return 'whySyntax';
    case 'unknown-instruction':
      return failure.word !== undefined ? 'whyUnknownInstruction' : 'whySyntax';
    case 'no-from':
      return 'whyNoFrom';
    case 'base-image':
      return 'whyBaseImage';
    case 'time-limit':
      return 'whyTimeLimit';
    case 'interrupted':
      return 'whyInterrupted';
    case 'dockerfile-outside':
      return 'whyDockerfileOutside';
    case 'dockerfile-too-large':
      return 'whyDockerfileTooLarge';
    default:
      return 'whyOther';
  }
}

export const imageBuilds = defineCheck({
  kind: 'image-builds',
  description: 'The Dockerfile builds into an image (classic builder or BuildKit). On failure: the failing instruction, its line, why, and the last lines that step printed.',
  example: {},
  params: Type.Object({}),
  needs: ['build'],
  messages: {
    fr: {
      title: "L'image se construit (docker build)",
      expected: '`docker build` réussit avec {dockerfile}',
      missing: "le fichier {dockerfile} est introuvable dans votre rendu : créez-le à la racine du dossier du lab",
      failedAt: 'échec à la ligne {line} : {instruction}\n{why}{output}',
      failed: 'échec : {why}{output}',
      whyCommand: "la commande s'est terminée avec le code {exitCode}",
      whyCommandKilled: 'la commande a été tuée (code 137) : elle a sans doute dépassé la mémoire permise à la construction',
      whyMissingSource: '« {path} » est introuvable dans le contexte de construction (absent du dossier, ou exclu par .dockerignore)',
      whyMissingSourceUnnamed: 'un fichier à copier est introuvable dans le contexte de construction : {reason}',
      whyMissingInStage: "« {path} » n'existe pas dans l'étape ou l'image « {from} » (COPY --from)",
      whySyntax: 'instruction mal écrite : {reason}',
      whyUnknownInstruction: 'instruction inconnue : « {word} »',
      whyNoFrom: "le Dockerfile n'a aucune instruction FROM : il doit partir d'une image de base",
      whyBaseImage: "l'image de base « {image} » n'est pas disponible : {reason}",
      whyTimeLimit: 'la construction a dépassé sa limite de temps ({seconds} s) et a été arrêtée',
      whyInterrupted: 'la construction a été interrompue',
      whyDockerfileOutside: "{dockerfile} est un lien vers un fichier hors de votre rendu : mettez-y un vrai fichier",
      whyDockerfileTooLarge: '{dockerfile} dépasse 1 Mio : un Dockerfile tient en quelques dizaines de lignes',
      whyOther: '{reason}',
      ok: 'image construite en {seconds} s',
    },
    en: {
      title: 'The image builds (docker build)',
      expected: '`docker build` succeeds with {dockerfile}',
      missing: 'file {dockerfile} is not in your submission: create it at the root of the lab folder',
      failedAt: 'failed at line {line}: {instruction}\n{why}{output}',
      failed: 'failed: {why}{output}',
      whyCommand: 'the command exited with code {exitCode}',
      whyCommandKilled: 'the command was killed (code 137): most likely it went past the memory the build may use',
      whyMissingSource: '"{path}" is not in the build context (missing from the folder, or excluded by .dockerignore)',
      whyMissingSourceUnnamed: 'a file to copy is not in the build context: {reason}',
      whyMissingInStage: '"{path}" does not exist in stage or image "{from}" (COPY --from)',
      whySyntax: 'malformed instruction: {reason}',
      whyUnknownInstruction: 'unknown instruction: "{word}"',
      whyNoFrom: 'the Dockerfile has no FROM instruction: it must start from a base image',
      whyBaseImage: 'base image "{image}" is not available: {reason}',
      whyTimeLimit: 'the build ran past its time limit ({seconds} s) and was stopped',
      whyInterrupted: 'the build was interrupted',
      whyDockerfileOutside: '{dockerfile} is a link to a file outside your submission: put a real file there',
      whyDockerfileTooLarge: '{dockerfile} is over 1 MiB: a Dockerfile takes a few dozen lines',
      whyOther: '{reason}',
      ok: 'image built in {seconds} s',
    },
  },
  async evaluate(_check, ctx, say) {
    const build = ctx.build!;
    const expected = say('expected', { dockerfile: build.dockerfile });
    if (build.ok) return { passed: true, expected, observed: say('ok', { seconds: (build.durationMs / 1000).toFixed(1) }) };
    if (build.failure?.kind === 'missing-dockerfile') return { passed: false, expected, observed: say('missing', { dockerfile: build.dockerfile }) };
    const f: BuildFailure = build.failure ?? { kind: 'other', reason: '?', output: [] };
    const from = /--from=(\S+)/.exec(f.instruction ?? '')?.[1];
    // Paths in the context are relative to it; in a stage or image they are absolute.
    const shownPath = f.path === undefined ? undefined : from ? `/${f.path.replace(/^\//, '')}` : f.path.replace(/^\//, '');
    const why = say(whyId(f), { ...f, dockerfile: build.dockerfile, path: shownPath, from });
    const instruction = f.instruction && f.instruction.length > MAX_INSTRUCTION_SHOWN ? `${f.instruction.slice(0, MAX_INSTRUCTION_SHOWN)}…` : (f.instruction ?? '?');
    const data = { why, output: failingStepOutput(f), line: f.line ?? '?', instruction };
    const observed = say(f.line !== undefined || f.instruction !== undefined ? 'failedAt' : 'failed', data).trimEnd();
    return { passed: false, expected, observed, ...(f.line !== undefined ? { location: { file: build.dockerfile, line: f.line } } : {}) };
  },
});
