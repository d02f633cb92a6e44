/** Image references as users write them: `nginx`, `nginx:1.27`, `docker.io/library/nginx:1.27`, `localhost:5000/app:1.0`, `x@sha256:…`. */
export interface ImageRef {
  /** Registry host when one is named (other than Docker Hub), else ''. */
  registry: string;
  /** Repository path without the Docker Hub prefixes: `nginx`, `someone/app`. */
  repository: string;
  /** The tag as written, or null when none is written (the engine then uses `latest`). */
  tag: string | null;
  digest: string | null;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry = '';
  const firstSlash = rest.indexOf('/');
  if (firstSlash !== -1) {
    const head = rest.slice(0, firstSlash);
    if (head.includes('.') || head.includes(':') || head === 'localhost') {
      registry = head;
      rest = rest.slice(firstSlash + 1);
    }
  }
  if (registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = '';
  if (registry === '' && rest.startsWith('library/')) rest = rest.slice('library/'.length);
  return { registry, repository: rest.toLowerCase(), tag, digest };
}

/** `nginx:latest` for `nginx`; the name the engine stores locally. */
export function normalizeImageRef(ref: string): string {
  const r = parseImageRef(ref);
  const name = (r.registry ? `${r.registry}/` : '') + r.repository;
  if (r.digest && !r.tag) return `${name}@${r.digest}`;
  return `${name}:${r.tag ?? 'latest'}`;
}
