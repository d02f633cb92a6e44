import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Files of the student's own folder, selected by patterns a statement names
 * (`notes/`, `**\/__pycache__/`), whatever the files are called: what a check
 * must look for depends on the submission (the student's Python writes
 * `app.cpython-312.pyc`, not the `-311` the lab gave), not on a list in the spec.
 */
export interface SubmissionFile {
  /** Relative to the folder the patterns were applied to, with `/`. */
  rel: string;
  type: 'file' | 'symlink';
  size: number;
}

export interface SubmissionFiles {
  files: SubmissionFile[];
  /** The walk stopped at its bound: more files may match. */
  truncated: boolean;
}

/** A hostile folder (a huge tree, a deep one) must not stall a grading. */
const MAX_ENTRIES = 50_000;
const MAX_FILES = 5_000;
const MAX_DEPTH = 32;

interface CompiledPattern {
  whole: RegExp;
  segments: string[];
}

function segmentRegex(segment: string): string {
  return segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
}

/**
 * `a/b` names a file or a folder (then every file below it), `a/b/` a folder only;
 * `*` and `?` match within one name, a `**` segment any number of folders.
 */
export function compilePattern(pattern: string): CompiledPattern {
  let body = pattern.replace(/^\.\/+/, '').replace(/\/{2,}/g, '/');
  let folderOnly = body.endsWith('/');
  body = body.replace(/\/+$/, '');
  if (body === '**' || body.endsWith('/**')) {
    body = body.slice(0, -2).replace(/\/$/, '');
    folderOnly = true;
  }
  const segments = body === '' ? [] : body.split('/');
  let source = '';
  segments.forEach((segment, i) => {
    if (segment === '**') source += '(?:[^/]+/)*';
    else source += segmentRegex(segment) + (i < segments.length - 1 ? '/' : '');
  });
  const tail = segments.length === 0 ? '.+' : folderOnly ? '/.+' : '(?:/.+)?';
  return { whole: new RegExp(`^${source}${tail}$`), segments };
}

/** Whether some file below the folder `dir` (relative, '' for the root) could match: saves walking `.git` or `node_modules`. */
function couldMatchBelow(pattern: CompiledPattern, dir: string): boolean {
  if (dir === '') return true;
  const parts = dir.split('/');
  for (let i = 0; i < parts.length; i++) {
    const segment = pattern.segments[i];
    if (segment === undefined) return true;
    if (segment === '**') return true;
    if (!new RegExp(`^${segmentRegex(segment)}$`).test(parts[i]!)) return false;
  }
  return true;
}

/** Every regular file and symbolic link under `root` that one of the patterns selects; symlinked folders are not followed. */
export function listSubmissionFiles(root: string, patterns: readonly string[]): SubmissionFiles {
  const compiled = patterns.map(compilePattern);
  const files: SubmissionFile[] = [];
  let visited = 0;
  let truncated = false;
  const walk = (dir: string, depth: number): void => {
    if (truncated) return;
    let entries;
    try {
      entries = readdirSync(path.join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++visited > MAX_ENTRIES || files.length >= MAX_FILES) {
        truncated = true;
        return;
      }
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && compiled.some((p) => couldMatchBelow(p, rel))) walk(rel, depth + 1);
        else if (depth >= MAX_DEPTH) truncated = true;
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      if (!compiled.some((p) => p.whole.test(rel))) continue;
      let size = 0;
      try {
        size = lstatSync(path.join(root, rel)).size;
      } catch {
        continue;
      }
      files.push({ rel, type: entry.isSymbolicLink() ? 'symlink' : 'file', size });
    }
  };
  walk('', 0);
  return { files, truncated };
}

/**
 * Whether an entry of an image is one of those files, wherever the Dockerfile
 * copied the folder to: its path ends with the file's relative path and, for a
 * regular file, it has the same size (so a `__pycache__/helpers.cpython-311.pyc`
 * that pip wrote for its own vendored package is not taken for the student's).
 */
export function imageEntryMatcher(files: readonly SubmissionFile[]): (entry: { path: string; type: string; size: number }) => boolean {
  const byName = new Map<string, SubmissionFile[]>();
  for (const file of files) {
    const name = path.posix.basename(file.rel);
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  return (entry) => {
    const candidates = byName.get(path.posix.basename(entry.path));
    if (!candidates) return false;
    return candidates.some((file) => {
      if (!entry.path.endsWith(`/${file.rel}`)) return false;
      // A hard link in a layer's tar has no size of its own.
      if (entry.type === 'link') return true;
      return file.type === 'symlink' ? entry.type === 'symlink' : entry.type === 'file' && entry.size === file.size;
    });
  };
}
