import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { finalBase, parseDockerfile } from '../dockerfile/parse.js';
import type { FoundFile } from '../engine/facts.js';
import { observe, regexProblems } from './common.js';
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

export const imageFilesAbsent = defineCheck({
  kind: 'image-files-absent',
  description: 'No file or link whose name is in `names` (or matches `namesMatch`) or whose path starts with one of `paths` exists in the image: in its final filesystem (`image`), in the layers its Dockerfile added on top of the base image (`added-layers`: a file deleted by a later RUN still ships in the layer that made it), or both. Read through the engine: no shell is needed (`scratch` images have none). Directories are ignored.',
  example: { paths: ['/var/lib/apt/lists/'], in: 'added-layers' },
  params: Type.Object({
    names: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 50 })),
    namesMatch: Type.Optional(Type.String({ maxLength: 300, description: 'A regular expression on the file name.' })),
    paths: Type.Optional(Type.Array(Type.String({ pattern: '^/', maxLength: 1000 }), { maxItems: 20, description: 'Path prefixes, e.g. "/var/lib/apt/lists/".' })),
    in: Type.Optional(Scope),
  }),
  needs: ['image'],
  validate(check) {
    const problems = check.names === undefined && check.namesMatch === undefined && check.paths === undefined ? [{ path: '', message: 'give at least one of "names", "namesMatch" or "paths"' }] : [];
    return [...problems, ...(check.namesMatch !== undefined ? regexProblems(check.namesMatch, '', '/namesMatch') : [])];
  },
  titleData: (check) => ({ what: [...(check.names ?? []), ...(check.namesMatch ? [`/${check.namesMatch}/`] : []), ...(check.paths ?? []).map((p) => `${p}*`)].join(', ') }),
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
    },
  },
  async evaluate(check, ctx, say) {
    const scope = check.in ?? 'image';
    const what = [...(check.names ?? []), ...(check.namesMatch ? [`/${check.namesMatch}/`] : []), ...(check.paths ?? []).map((p) => `${p}*`)].join(', ');
    const expected = say('expected', { what, where: say(scope === 'image' ? 'image' : scope === 'added-layers' ? 'addedLayers' : 'both') });
    const names = new Set(check.names ?? []);
    const pattern = check.namesMatch ? new RegExp(check.namesMatch) : null;
    const prefixes = (check.paths ?? []).map((p) => (p.endsWith('/') ? p : `${p}/`));
    const match = (entry: { path: string; type: FoundFile['type'] }) => {
      if (entry.type === 'directory') return false;
      const name = path.posix.basename(entry.path);
      return names.has(name) || (pattern !== null && pattern.test(name.slice(0, 255))) || prefixes.some((p) => entry.path.startsWith(p));
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
