import { sha256 } from './submission-hash.js';

/**
 * A file-name-safe name for a student's folders (feedback/, logs/). Names that are
 * already safe stay as they are; any other gets a short hash of the key, so two
 * keys that clean up alike ("Zoé" and "Zoe") never share a folder, and the slug of
 * a key is the same in every shard and every run.
 */
export function studentSlug(key: string): string {
  const clean = key
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return clean && clean === key ? clean : `${clean || 'student'}-${sha256(key).slice(0, 6)}`;
}
