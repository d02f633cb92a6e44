import { createHash } from 'node:crypto';
import { localImage, registrySameDigest, registryTags } from '../../../grader/src/checks/registry.js';
import type { HttpRequest } from '../../../grader/src/checks/types.js';
import type { HttpAnswer } from '../../../grader/src/engine/facts.js';
import { refused, RUNNING, testCheckKind, type FakeWorld } from '../../helpers/check-tester.js';

const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({ ok: true, status, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, truncated: false });

/** A fake registry on port 5000: repositories → tag → stored manifest (media type, bytes). */
function registry(repos: Record<string, Record<string, { type: string; body: string; digestHeader?: boolean }>>, { honoursAccept = true } = {}): FakeWorld['httpHandler'] {
  return (request: HttpRequest) => {
    if (request.port !== 5000) return undefined;
    if (request.path.startsWith('/v2/_catalog')) return jsonAnswer(200, { repositories: Object.keys(repos) });
    const tagsList = /^\/v2\/(.+)\/tags\/list$/.exec(request.path);
    if (tagsList) {
      const repo = repos[tagsList[1]!];
      return repo ? jsonAnswer(200, { name: tagsList[1], tags: Object.keys(repo) }) : jsonAnswer(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
    }
    const manifest = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(request.path);
    if (manifest) {
      const stored = repos[manifest[1]!]?.[manifest[2]!];
      if (!stored) return jsonAnswer(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
      const accepted = honoursAccept && (request.headers?.Accept ?? '').includes(stored.type);
      if (!accepted) {
        // What registry 2.8 does without the Accept header: a schema 1 conversion, different per tag.
        return jsonAnswer(200, { schemaVersion: 1, tag: manifest[2] }, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': `sha256:${manifest[2]}` });
      }
      const digest = `sha256:${createHash('sha256').update(stored.body).digest('hex')}`;
      return jsonAnswer(200, stored.body, { 'content-type': stored.type, ...(stored.digestHeader === false ? {} : { 'docker-content-digest': digest }) });
    }
    return jsonAnswer(404, {});
  };
}

const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const manifestA = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_V2, config: { digest: 'sha256:aaa' } });
const manifestB = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_V2, config: { digest: 'sha256:bbb' } });
const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ digest: 'sha256:ccc' }, { digest: 'sha256:ddd', annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }] });
const oci = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { digest: 'sha256:eee' } });

testCheckKind(registryTags as never, {
  passing: [
    { name: 'both tags', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { latest: { type: DOCKER_V2, body: manifestA }, '1.0': { type: DOCKER_V2, body: manifestA } } }) }, observed: 'tags of mon-app: 1.0, latest' },
  ],
  failing: [
    { name: 'only latest pushed', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { latest: { type: DOCKER_V2, body: manifestA } } }) }, observed: 'tags of mon-app: latest; missing: 1.0' },
    { name: 'another repository name', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0'] }, world: { httpHandler: registry({ mon_app: { '1.0': { type: DOCKER_V2, body: manifestA } } }) }, observed: 'the registry has no repository "mon-app"; it holds: mon_app' },
    { name: 'nothing on the port', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0'], withinSeconds: 0 }, world: { http: { 5000: refused } }, observed: 'no HTTP answer on port 5000: connection refused' },
    { name: 'not a registry', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0'], withinSeconds: 0 }, world: { http: { 5000: { ok: true, status: 200, body: '<html>Welcome to nginx!</html>', headers: {}, truncated: false } } }, observed: 'port 5000 answers, but not as a registry (HTTP 200' },
    { name: 'in French', lang: 'fr', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0'] }, world: { httpHandler: registry({}) }, observed: "le registre n'a pas de dépôt « mon-app » ; il contient : (aucun)" },
  ],
  invalid: [
    { name: 'an upper-case repository', check: { hostPort: 5000, repository: 'Mon-App', tags: ['1.0'] }, problem: 'pattern' },
    { name: 'no tag', check: { hostPort: 5000, repository: 'mon-app', tags: [] }, problem: 'fewer than 1' },
  ],
});

const registryContainer = { named: { registre: { state: { ...RUNNING, ports: { '5000/tcp': [{ hostIp: '0.0.0.0', hostPort: 5000 }] } } } }, onHostPort: { 5000: 'registre' } };

testCheckKind(registrySameDigest as never, {
  passing: [
    { name: 'Docker v2 schema 2, one push under two tags', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { '1.0': { type: DOCKER_V2, body: manifestA }, latest: { type: DOCKER_V2, body: manifestA } } }) }, observed: /same digest: 1\.0 → sha256:[0-9a-f]{12}… \(Docker v2 schema 2\), latest → sha256/ },
    { name: 'an OCI index (BuildKit with attestations)', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { '1.0': { type: OCI_INDEX, body: index }, latest: { type: OCI_INDEX, body: index } } }) }, observed: '(OCI index)' },
    { name: 'an OCI manifest without a digest header (hashed by the grader)', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { '1.0': { type: OCI_MANIFEST, body: oci, digestHeader: false }, latest: { type: OCI_MANIFEST, body: oci, digestHeader: false } } }) }, observed: '(OCI manifest)' },
    {
      name: 'an HTTP path that drops the Accept header: asked again from inside the registry container',
      check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] },
      world: {
        ...registryContainer,
        httpHandler: registry({ 'mon-app': { '1.0': { type: DOCKER_V2, body: manifestA }, latest: { type: DOCKER_V2, body: manifestA } } }, { honoursAccept: false }),
        insideHttp: { registre: Object.fromEntries(['1.0', 'latest'].map((tag) => [`http://127.0.0.1:5000/v2/mon-app/manifests/${tag}`, { outcome: 'answered' as const, status: 200, body: manifestA, headers: { 'content-type': DOCKER_V2 } }])) },
      },
      observed: 'same digest',
    },
  ],
  failing: [
    { name: 'two builds', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { '1.0': { type: DOCKER_V2, body: manifestA }, latest: { type: DOCKER_V2, body: manifestB } } }) }, observed: /different digests: 1\.0 → sha256:\w+… \(Docker v2 schema 2\), latest → sha256:\w+… \(Docker v2 schema 2\) \(two builds/ },
    { name: 'one tag an OCI index, the other a Docker manifest', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { '1.0': { type: OCI_INDEX, body: index }, latest: { type: DOCKER_V2, body: manifestA } } }) }, observed: '(OCI index), latest' },
    { name: 'a tag missing', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { latest: { type: DOCKER_V2, body: manifestA } } }) }, observed: '1.0 → not in the registry' },
    { name: 'nothing answers', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: {}, observed: 'no HTTP answer on port 5000' },
    { name: 'in French', lang: 'fr', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] }, world: { httpHandler: registry({ 'mon-app': { '1.0': { type: DOCKER_V2, body: manifestA }, latest: { type: DOCKER_V2, body: manifestB } } }) }, observed: 'digests différents' },
  ],
  invalid: [{ name: 'one tag only', check: { hostPort: 5000, repository: 'mon-app', tags: ['1.0'] }, problem: 'fewer than 2' }],
});

describe('registry-same-digest, when the Accept header cannot reach the registry at all', () => {
  it('is an engine error, not the student\'s failure', async () => {
    const { fakeContext } = await import('../../helpers/check-tester.js');
    const ctx = fakeContext({ httpHandler: registry({ 'mon-app': { '1.0': { type: DOCKER_V2, body: manifestA }, latest: { type: DOCKER_V2, body: manifestA } } }, { honoursAccept: false }) });
    await expect(registrySameDigest.evaluate({ id: 'x', kind: 'registry-same-digest', points: 1, hostPort: 5000, repository: 'mon-app', tags: ['1.0', 'latest'] } as never, ctx, ((id: string) => id) as never)).rejects.toThrow(/without its Accept header, and no container publishing port 5000/);
  });
});

testCheckKind(localImage as never, {
  passing: [{ name: 'pulled back', check: { reference: 'localhost:5000/mon-app:1.0' }, world: { images: { 'localhost:5000/mon-app:1.0': { id: 'sha256:0123456789abcdef' } } }, observed: 'image localhost:5000/mon-app:1.0 (0123456789ab)' }],
  failing: [
    { name: 'only latest pulled', check: { reference: 'localhost:5000/mon-app:1.0' }, world: { localImages: ['localhost:5000/mon-app:latest', 'mon-app:1.0'] }, observed: 'no local image localhost:5000/mon-app:1.0; local tags of localhost:5000/mon-app: localhost:5000/mon-app:latest' },
    { name: 'never pulled', check: { reference: 'localhost:5000/mon-app:1.0' }, world: {}, observed: 'local tags of localhost:5000/mon-app: (none)' },
    { name: 'in French', lang: 'fr', check: { reference: 'localhost:5000/mon-app:1.0' }, world: {}, observed: 'aucune image locale localhost:5000/mon-app:1.0' },
  ],
  invalid: [{ name: 'no tag', check: { reference: 'localhost:5000/mon-app' }, problem: 'pattern' }],
});
