import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { finalBase, parseDockerfile } from '../dockerfile/parse.js';
import type { FoundFile } from '../engine/index.js';
import { RelativePath } from '../spec/schema.js';
import { observe, regexProblems } from './common.js';
import { imageEntryMatcher, listSubmissionFiles, type SubmissionFile } from './submission-files.js';
import type { CheckContext } from './types.js';
import { defineCheck } from './types.js';

const Scope = Type.Union([Type.Literal('image'), Type.Literal('added-layers'), Type.Literal('image-and-added-layers')], { default: 'image' });

/** The layers of the final stage's base image, which the student did not write: files there are not theirs. */
async function baseLayersOf(ctx: CheckContext): Promise<string[]> {
  const text = ctx.build?.dockerfileText;
  if (!text) return [];
  const base = finalBase(parseDockerfile(text));
  if (!base) return [];
  return (await ctx.imageConfig(base.base))?.layers ?? [];
}

/** What a check of this kind looks for, in words: the spec's names, pattern and prefixes, and the submission's own folders. */
function describedTargets(check: { names?: string[] | undefined; namesMatch?: string | undefined; paths?: string[] | undefined; submissionFiles?: string[] | undefined }): string {
  return [...(check.names ?? []), ...(check.namesMatch ? [`/${check.namesMatch}/`] : []), ...(check.paths ?? []).map((p) => `${p}*`), ...(check.submissionFiles ?? [])].join(', ');
}

/**
 * The submission's files the patterns select, relative to the build context
 * (what a COPY sees): a file outside the context cannot be in the image.
 */
function submissionTargets(patterns: readonly string[], ctx: CheckContext): { files: SubmissionFile[]; truncated: boolean } {
  const context = typeof ctx.lab.workload.context === 'string' ? path.posix.normalize(ctx.lab.workload.context).replace(/\/+$/, '') : '.';
  const { files, truncated } = listSubmissionFiles(ctx.submissionDir, patterns);
  if (context === '.' || context === '') return { files, truncated };
  const prefix = `${context}/`;
  return { files: files.filter((f) => f.rel.startsWith(prefix)).map((f) => ({ ...f, rel: f.rel.slice(prefix.length) })), truncated };
}

export const imageFilesAbsent = defineCheck({
  kind: 'image-files-absent',
  description:
    "No file or link whose name is in `names` (or matches `namesMatch`), whose path starts with one of `paths`, or that is one of the submission's own files selected by `submissionFiles` exists in the image: in its final filesystem (`image`), in the layers its Dockerfile added on top of the base image (`added-layers`: a file deleted by a later RUN still ships in the layer that made it), or both. `submissionFiles` are paths in the submission folder (`notes/`: every file below it; `**/__pycache__/`: such a folder at any depth; `*` within a name): the files are listed from the student's own folder at grading time, whatever their names, and one is found in the image where a path ends with its path in the build context and has its size. Read through the engine: no shell is needed (`scratch` images have none). Directories are ignored.",
  example: { paths: ['/var/lib/apt/lists/'], in: 'added-layers' },
  params: Type.Object({
    names: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 50 })),
    namesMatch: Type.Optional(Type.String({ maxLength: 300, description: 'A regular expression on the file name.' })),
    paths: Type.Optional(Type.Array(Type.String({ pattern: '^/', maxLength: 1000 }), { maxItems: 20, description: 'Path prefixes, e.g. "/var/lib/apt/lists/".' })),
    submissionFiles: Type.Optional(
      Type.Array(RelativePath('Files of the submission folder that must stay out of the image, whatever their names: "notes/" (every file below it), "**/__pycache__/" (such a folder at any depth), "secrets.env".'), {
        minItems: 1,
        maxItems: 20,
        description: "Paths in the student's own folder whose files, as found there at grading time, must not be in the image.",
      }),
    ),
    in: Type.Optional(Scope),
  }),
  needs: ['image'],
  validate(check) {
    const problems = check.names === undefined && check.namesMatch === undefined && check.paths === undefined && check.submissionFiles === undefined ? [{ path: '', message: 'give at least one of "names", "namesMatch", "paths" or "submissionFiles"' }] : [];
    return [...problems, ...(check.namesMatch !== undefined ? regexProblems(check.namesMatch, '', '/namesMatch') : [])];
  },
  titleData: (check) => ({ what: describedTargets(check) }),
  messages: {
    en: {
      title: 'The image holds none of: {what}',
      expected: 'none of {what} {where}',
      image: 'in the image',
      addedLayers: 'in the layers the Dockerfile adds',
      both: 'in the image nor in the layers the Dockerfile adds',
      clean: 'none found ({scanned})',
      found: 'found {count}: {list}',
      inLayer: '{path} (layer {layer}: {createdBy})',
      scannedImage: 'final filesystem read',
      scannedLayers: '{count} added layer(s) read',
      submissionFiles: "the submission's {count} file(s) under {patterns} ({list})",
      submissionFilesCut: "the submission's first {count} file(s) under {patterns} ({list}; the folder holds more than the grader reads)",
      submissionFilesNone: "the submission's files under {patterns} (it has none)",
    },
    fr: {
      title: "L'image ne contient aucun de : {what}",
      expected: 'aucun de {what} {where}',
      image: "dans l'image",
      addedLayers: 'dans les couches ajoutées par le Dockerfile',
      both: "ni dans l'image ni dans les couches ajoutées par le Dockerfile",
      clean: 'aucun trouvé ({scanned})',
      found: '{count} trouvé(s) : {list}',
      inLayer: '{path} (couche {layer} : {createdBy})',
      scannedImage: 'système de fichiers final lu',
      scannedLayers: '{count} couche(s) ajoutée(s) lue(s)',
      submissionFiles: 'les {count} fichier(s) du dossier rendu sous {patterns} ({list})',
      submissionFilesCut: 'les {count} premiers fichiers du dossier rendu sous {patterns} ({list} ; le dossier en contient plus que le correcteur n’en lit)',
      submissionFilesNone: "les fichiers du dossier rendu sous {patterns} (il n'y en a aucun)",
    },
  },
  async evaluate(check, ctx, say) {
    const scope = check.in ?? 'image';
    const own = check.submissionFiles ? submissionTargets(check.submissionFiles, ctx) : null;
    const ownWords = own
      ? own.files.length === 0
        ? say('submissionFilesNone', { patterns: check.submissionFiles!.join(', ') })
        : say(own.truncated ? 'submissionFilesCut' : 'submissionFiles', {
            count: own.files.length,
            patterns: check.submissionFiles!.join(', '),
            list: `${own.files.slice(0, 6).map((f) => f.rel).join(', ')}${own.files.length > 6 ? ', …' : ''}`,
          })
      : null;
    const what = [describedTargets({ ...check, submissionFiles: undefined }), ownWords].filter((w) => w).join(', ');
    const expected = say('expected', { what, where: say(scope === 'image' ? 'image' : scope === 'added-layers' ? 'addedLayers' : 'both') });
    const names = new Set(check.names ?? []);
    const pattern = check.namesMatch ? new RegExp(check.namesMatch) : null;
    const prefixes = (check.paths ?? []).map((p) => (p.endsWith('/') ? p : `${p}/`));
    const isOwn = own && own.files.length > 0 ? imageEntryMatcher(own.files) : () => false;
    const match = (entry: { path: string; type: FoundFile['type']; size: number }) => {
      if (entry.type === 'directory') return false;
      const name = path.posix.basename(entry.path);
      return names.has(name) || (pattern !== null && pattern.test(name.slice(0, 255))) || prefixes.some((p) => entry.path.startsWith(p)) || isOwn(entry);
    };
    const image = ctx.image!;
    const found: FoundFile[] = [];
    const scanned: string[] = [];
    if (scope !== 'added-layers') {
      found.push(...(await image.findFiles(match, { scope: 'image' })));
      scanned.push(say('scannedImage'));
    }
    if (scope !== 'image') {
      const baseLayers = await baseLayersOf(ctx);
      const all = (await image.config()).layers;
      const inLayers = await image.findFiles(match, { scope: 'added-layers', baseLayers });
      for (const file of inLayers) if (!found.some((f) => f.path === file.path && f.layer === null)) found.push(file);
      scanned.push(say('scannedLayers', { count: all.filter((d, i) => baseLayers[i] !== d).length }));
    }
    if (found.length === 0) return { passed: true, expected, observed: say('clean', { scanned: scanned.join(', ') }) };
    const shown = found.slice(0, 8).map((f) => (f.layer !== null ? say('inLayer', { path: f.path, layer: f.layer, createdBy: (f.createdBy ?? '?').slice(0, 80) }) : f.path));
    return { passed: false, expected, observed: say('found', { count: found.length, list: `${shown.join(', ')}${found.length > 8 ? ', …' : ''}` || observe(ctx.lang, 'none') }) };
  },
});

export const imageSize = defineCheck({
  kind: 'image-size',
  description: 'The image is smaller than `maxBytes` (as `docker images` counts: the whole image, base included).',
  example: { maxBytes: 100000000 },
  params: Type.Object({ maxBytes: Type.Integer({ minimum: 1, maximum: 1e12 }) }),
  needs: ['image'],
  titleData: (check) => ({ limit: megabytes(check.maxBytes) }),
  messages: {
    en: { title: 'The image is under {limit}', expected: 'under {limit} ({bytes} bytes)', observed: '{size} ({bytes} bytes)' },
    fr: { title: "L'image fait moins de {limit}", expected: 'moins de {limit} ({bytes} octets)', observed: '{size} ({bytes} octets)' },
  },
  async evaluate(check, ctx, say) {
    const { sizeBytes } = await ctx.image!.config();
    return { passed: sizeBytes < check.maxBytes, expected: say('expected', { limit: megabytes(check.maxBytes), bytes: check.maxBytes }), observed: say('observed', { size: megabytes(sizeBytes), bytes: sizeBytes }) };
  },
});

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

export const imageStages = defineCheck({
  kind: 'image-stages',
  description: 'The Dockerfile has at least `min` stages (FROM instructions): a text check, allowed because multi-stage builds are the lesson.',
  example: { min: 2 },
  params: Type.Object({ min: Type.Integer({ minimum: 1, maximum: 20 }) }),
  needs: ['build'],
  messages: {
    en: { title: 'The Dockerfile has at least {min} stages', expected: 'at least {min} FROM instructions', observed: '{count} stage(s): {stages}', noDockerfile: 'no Dockerfile' },
    fr: { title: 'Le Dockerfile a au moins {min} étapes', expected: 'au moins {min} instructions FROM', observed: '{count} étape(s) : {stages}', noDockerfile: 'pas de Dockerfile' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { min: check.min });
    const text = ctx.build?.dockerfileText;
    if (text == null) return { passed: false, expected, observed: say('noDockerfile') };
    const { stages } = parseDockerfile(text);
    const list = stages.map((s) => `FROM ${s.base}${s.name ? ` AS ${s.name}` : ''} (l. ${s.line})`).join(', ');
    const last = stages[stages.length - 1];
    return {
      passed: stages.length >= check.min,
      expected,
      observed: say('observed', { count: stages.length, stages: list || '-' }),
      ...(stages.length < check.min && last ? { location: { file: ctx.build!.dockerfile, line: last.line } } : {}),
    };
  },
});

export const imageEnvSecretsAbsent = defineCheck({
  kind: 'image-env-secrets-absent',
  description: "No environment variable whose name matches `namePattern` (case-insensitive) is added or changed by the student's Dockerfile: the image's ENV is compared with its base image's (the official python images set GPG_KEY themselves).",
  example: { namePattern: 'PASSWORD|SECRET|TOKEN|KEY' },
  params: Type.Object({ namePattern: Type.String({ minLength: 1, maxLength: 300 }) }),
  needs: ['image'],
  validate: (check) => regexProblems(check.namePattern, 'i', '/namePattern'),
  messages: {
    en: { title: 'No secret in the image\'s environment', expected: 'no ENV variable named like /{pattern}/ added by the Dockerfile', clean: 'none added (from the base image: {inherited})', found: 'added by the Dockerfile: {list} — readable by anyone with the image (docker inspect, docker history)' },
    fr: { title: "Aucun secret dans l'environnement de l'image", expected: 'aucune variable ENV nommée comme /{pattern}/ ajoutée par le Dockerfile', clean: "aucune ajoutée (venant de l'image de base : {inherited})", found: "ajoutée(s) par le Dockerfile : {list} — lisible(s) par quiconque a l'image (docker inspect, docker history)" },
  },
  async evaluate(check, ctx, say) {
    const pattern = new RegExp(check.namePattern, 'i');
    const expected = say('expected', { pattern: check.namePattern });
    const { env } = await ctx.image!.config();
    const text = ctx.build?.dockerfileText;
    const base = text ? finalBase(parseDockerfile(text)) : null;
    const baseEnv = base ? ((await ctx.imageConfig(base.base))?.env ?? {}) : {};
    const suspicious = Object.keys(env).filter((name) => pattern.test(name));
    const added = suspicious.filter((name) => baseEnv[name] !== env[name]);
    const inherited = suspicious.filter((name) => !added.includes(name));
    if (added.length === 0) return { passed: true, expected, observed: say('clean', { inherited: inherited.join(', ') || observe(ctx.lang, 'none') }) };
    const location = ctx.build && text ? { file: ctx.build.dockerfile, line: parseDockerfile(text).instructions.find((i) => i.keyword === 'ENV' && added.some((name) => i.args.split(/\s+/).some((word) => word === name || word.startsWith(`${name}=`))))?.line ?? 1 } : undefined;
    return { passed: false, expected, observed: say('found', { list: added.map((name) => `${name}=${'*'.repeat(Math.min(8, env[name]?.length ?? 0))}`).join(', ') }), ...(location ? { location } : {}) };
  },
});
