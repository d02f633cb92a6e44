import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { EngineError, type HttpAnswer } from '../engine/index.js';
import { describeHttpFailure, observe, truncate } from './common.js';
import type { CheckContext } from './types.js';
import { defineCheck } from './types.js';

/** A repository name as the registry API v2 accepts it (lowercase path components). */
const Repository = Type.String({ pattern: '^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$', maxLength: 255 });
const Tag = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' });

/** Every manifest type a push can leave: Docker's (classic builder, docker push) and OCI's (BuildKit, buildx). */
export const MANIFEST_TYPES = {
  'application/vnd.docker.distribution.manifest.v2+json': 'Docker v2 schema 2',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'Docker manifest list',
  'application/vnd.oci.image.manifest.v1+json': 'OCI manifest',
  'application/vnd.oci.image.index.v1+json': 'OCI index',
} as const;
const ACCEPT = Object.keys(MANIFEST_TYPES).join(', ');
const SCHEMA1 = /application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)/;

const shared = {
  en: {
    noAnswer: 'no HTTP answer on port {port}: {error}',
    notRegistry: 'port {port} answers, but not as a registry (HTTP {status}, body: {body})',
    noRepository: 'the registry has no repository "{repository}"; it holds: {catalog}',
  },
  fr: {
    noAnswer: 'pas de réponse HTTP sur le port {port} : {error}',
    notRegistry: 'le port {port} répond, mais pas comme un registre (HTTP {status}, corps : {body})',
    noRepository: "le registre n'a pas de dépôt « {repository} » ; il contient : {catalog}",
  },
};
type SharedSay = (id: keyof typeof shared.en, data?: Record<string, unknown>) => string;

function json(answer: Extract<HttpAnswer, { ok: true }>): unknown {
  try {
    return JSON.parse(answer.body);
  } catch {
    return undefined;
  }
}

function header(answer: Extract<HttpAnswer, { ok: true }>, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The registry's error code (NAME_UNKNOWN, MANIFEST_UNKNOWN…), when the answer is one. */
function errorCode(answer: Extract<HttpAnswer, { ok: true }>): string | null {
  const body = json(answer) as { errors?: { code?: string }[] } | undefined;
  return body?.errors?.[0]?.code ?? null;
}

/** The repositories the registry holds, for messages ("it holds: mon_app"). */
async function catalog(ctx: Pick<CheckContext, 'http' | 'lang'>, port: number): Promise<string> {
  const answer = await ctx.http({ port, path: '/v2/_catalog?n=50', withinMs: 0 });
  const list = answer.ok ? (json(answer) as { repositories?: string[] } | undefined)?.repositories : undefined;
  return list && list.length ? list.join(', ') : observe(ctx.lang, 'none');
}

/** An answer that is not the registry's API, described; null when it is. */
function notRegistry(answer: HttpAnswer, port: number, say: SharedSay, lang: CheckContext['lang']): string | null {
  if (!answer.ok) return say('noAnswer', { port, error: describeHttpFailure(answer, lang) });
  if (json(answer) === undefined) return say('notRegistry', { port, status: answer.status, body: truncate(answer.body.replace(/\s+/g, ' '), 150) || '∅' });
  return null;
}

export const registryTags = defineCheck({
  kind: 'registry-tags',
  example: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] },
  description: 'The registry answering on a host port holds a repository with the given tags, listed through its HTTP API v2 (`GET /v2/<repository>/tags/list`).',
  params: Type.Object({
    hostPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    repository: Repository,
    tags: Type.Array(Tag, { minItems: 1, maxItems: 20 }),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 60, default: 5 })),
  }),
  needs: [],
  titleData: (check) => ({ tagList: check.tags.join(', ') }),
  messages: {
    en: {
      title: 'The registry on port {hostPort} holds {repository} with the tags {tagList}',
      expected: 'repository {repository} with tags {tagList}',
      observed: 'tags of {repository}: {tags}',
      missing: 'tags of {repository}: {tags}; missing: {missing}',
      ...shared.en,
    },
    fr: {
      title: 'Le registre du port {hostPort} contient {repository} avec les tags {tagList}',
      expected: 'le dépôt {repository} avec les tags {tagList}',
      observed: 'tags de {repository} : {tags}',
      missing: 'tags de {repository} : {tags} ; manquants : {missing}',
      ...shared.fr,
    },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { repository: check.repository, tagList: check.tags.join(', ') });
    const path = `/v2/${check.repository}/tags/list`;
    const answer = await ctx.http({ port: check.hostPort, path, withinMs: (check.withinSeconds ?? 5) * 1000, until: (a) => a.ok && (a.status === 200 || a.status === 404) });
    const wrong = notRegistry(answer, check.hostPort, say, ctx.lang);
    if (wrong || !answer.ok) return { passed: false, expected, observed: wrong ?? '' };
    if (answer.status === 404 || errorCode(answer) === 'NAME_UNKNOWN') {
      return { passed: false, expected, observed: say('noRepository', { repository: check.repository, catalog: await catalog(ctx, check.hostPort) }) };
    }
    const tags = ((json(answer) as { tags?: string[] | null }).tags ?? []).slice().sort();
    const missing = check.tags.filter((t) => !tags.includes(t));
    const shown = tags.join(', ') || observe(ctx.lang, 'none');
    return missing.length
      ? { passed: false, expected, observed: say('missing', { repository: check.repository, tags: shown, missing: missing.join(', ') }) }
      : { passed: true, expected, observed: say('observed', { repository: check.repository, tags: shown }) };
  },
});

/** A tag's manifest as the registry stores it: its digest and media type. */
type ManifestOf = { tag: string; digest: string; type: string } | { tag: string; missing: true } | { tag: string; problem: string };

async function manifestOf(ctx: CheckContext, port: number, repository: string, tag: string, say: SharedSay): Promise<ManifestOf> {
  const answer = await ctx.http({ port, path: `/v2/${repository}/manifests/${tag}`, headers: { Accept: ACCEPT }, withinMs: 2000, until: (a) => a.ok && a.status !== 502 && a.status !== 503 });
  const wrong = notRegistry(answer, port, say, ctx.lang);
  if (wrong || !answer.ok) return { tag, problem: wrong ?? '' };
  if (answer.status === 404) return { tag, missing: true };
  if (answer.status !== 200) return { tag, problem: say('notRegistry', { port, status: answer.status, body: truncate(answer.body, 150) }) };
  const contentType = (header(answer, 'content-type') ?? '').split(';')[0]!.trim();
  const body = json(answer) as { mediaType?: string; schemaVersion?: number } | undefined;
  // A registry converts to schema 1 only when the request did not say it accepts the others.
  if (SCHEMA1.test(contentType) || body?.schemaVersion === 1) return manifestFromInside(ctx, port, repository, tag);
  return { tag, digest: digestOf(answer.body, header(answer, 'docker-content-digest')), type: contentType || body?.mediaType || '?' };
}

/** The registry's digest header, else the hash of the bytes it stores, which it returns unchanged for an accepted type. */
function digestOf(body: string, given: string | undefined): string {
  return given ?? `sha256:${createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex')}`;
}

/**
 * The same request sent from inside the registry's container, for an HTTP path
 * that drops request headers (the Accept header never reached the registry, which
 * then converts to schema 1, whose digest differs per tag).
 */
async function manifestFromInside(ctx: CheckContext, port: number, repository: string, tag: string): Promise<ManifestOf> {
  const lost = `the registry answered a schema 1 manifest for ${repository}:${tag}: the grader's request reached it without its Accept header`;
  const container = await ctx.containerOnHostPort(port);
  const state = container ? await container.state() : null;
  const containerPort = state ? Object.entries(state.ports).find(([, list]) => list.some((b) => b.hostPort === port))?.[0]?.split('/')[0] : undefined;
  if (!container || !containerPort) throw new EngineError(`${lost}, and no container publishing port ${port} could be asked from inside`);
  const answer = await ctx.httpFrom(container, { url: `http://127.0.0.1:${containerPort}/v2/${repository}/manifests/${tag}`, headers: { Accept: ACCEPT }, timeoutMs: 5000 });
  if (answer.outcome !== 'answered') throw new EngineError(`${lost}; asked from inside its container: ${answer.outcome}${'detail' in answer ? ` (${answer.detail})` : ''}`);
  if (answer.status === 404) return { tag, missing: true };
  const contentType = (answer.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (answer.status !== 200 || SCHEMA1.test(contentType)) throw new EngineError(`${lost}; asked from inside its container: HTTP ${answer.status} ${contentType}`);
  return { tag, digest: digestOf(answer.body, answer.headers['docker-content-digest']), type: contentType || '?' };
}

export const registrySameDigest = defineCheck({
  kind: 'registry-same-digest',
  example: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] },
  description: 'Tags of a repository in the registry on a host port point to the same manifest digest, whatever its media type (Docker v2 schema 2, Docker manifest list, OCI manifest, OCI index): the same image pushed under two tags, not two builds.',
  params: Type.Object({
    hostPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    repository: Repository,
    tags: Type.Array(Tag, { minItems: 2, maxItems: 10 }),
  }),
  needs: [],
  titleData: (check) => ({ tagList: check.tags.join(', ') }),
  messages: {
    en: {
      title: 'In the registry, the tags {tagList} of {repository} point to the same image (same digest)',
      expected: 'one manifest digest for {tagList}',
      entry: '{tag} → {digest} ({type})',
      missingTag: '{tag} → not in the registry',
      same: 'same digest: {list}',
      different: 'different digests: {list} (two builds, or a tag pushed before a rebuild: tag one image twice, then push both)',
      ...shared.en,
    },
    fr: {
      title: 'Dans le registre, les tags {tagList} de {repository} désignent la même image (même digest)',
      expected: 'un seul digest de manifeste pour {tagList}',
      entry: '{tag} → {digest} ({type})',
      missingTag: '{tag} → absent du registre',
      same: 'même digest : {list}',
      different: 'digests différents : {list} (deux constructions, ou un tag poussé avant une reconstruction : taguez une seule image deux fois, puis poussez les deux)',
      ...shared.fr,
    },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { tagList: check.tags.join(', ') });
    const manifests: ManifestOf[] = [];
    for (const tag of check.tags) manifests.push(await manifestOf(ctx, check.hostPort, check.repository, tag, say));
    const problem = manifests.find((m): m is Extract<ManifestOf, { problem: string }> => 'problem' in m);
    if (problem) return { passed: false, expected, observed: problem.problem };
    const short = (digest: string) => `${digest.slice(0, 19)}…`;
    const describe = (m: ManifestOf) => ('digest' in m ? say('entry', { tag: m.tag, digest: short(m.digest), type: MANIFEST_TYPES[m.type as keyof typeof MANIFEST_TYPES] ?? m.type }) : say('missingTag', { tag: m.tag }));
    const list = manifests.map(describe).join(', ');
    const digests = new Set(manifests.map((m) => ('digest' in m ? m.digest : null)));
    const passed = digests.size === 1 && !digests.has(null);
    return { passed, expected, observed: say(passed ? 'same' : 'different', { list }) };
  },
});

export const localImage = defineCheck({
  kind: 'local-image',
  example: { reference: 'localhost:5000/mon-app:1.0' },
  description: 'An image exists on the engine under a reference (`localhost:5000/mon-app:1.0`), e.g. after the student removed it and pulled it back from the registry.',
  params: Type.Object({ reference: Type.String({ pattern: '^[a-z0-9][a-z0-9._:/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', maxLength: 300 }) }),
  needs: [],
  messages: {
    en: {
      title: 'The image {reference} exists locally',
      expected: 'a local image {reference}',
      present: 'image {reference} ({id})',
      absent: 'no local image {reference}; local tags of {repository}: {tags}',
    },
    fr: {
      title: "L'image {reference} existe localement",
      expected: 'une image locale {reference}',
      present: 'image {reference} ({id})',
      absent: "aucune image locale {reference} ; tags locaux de {repository} : {tags}",
    },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { reference: check.reference });
    const config = await ctx.imageConfig(check.reference);
    if (config) return { passed: true, expected, observed: say('present', { reference: check.reference, id: config.id.replace(/^sha256:/, '').slice(0, 12) }) };
    const repository = check.reference.slice(0, check.reference.lastIndexOf(':'));
    const tags = await ctx.localImageTags(repository);
    return { passed: false, expected, observed: say('absent', { reference: check.reference, repository, tags: tags.join(', ') || observe(ctx.lang, 'none') }) };
  },
});
