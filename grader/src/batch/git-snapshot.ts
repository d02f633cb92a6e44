import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Read-only access to a student's git clone: only plumbing commands that read
 * objects (rev-parse, rev-list, ls-tree, cat-file), so nothing in the clone is
 * written — not its index, not .git/worktrees (as `git worktree add` would, and
 * leave behind after a kill -9) — and no filter, hook or fsmonitor the clone's
 * own config might name is ever run: submissions are untrusted.
 * `safe.directory=*`: class folders are often owned by another user than the
 * grader (unpacked archives, CI checkouts), and these commands run nothing from
 * the repository's config.
 */
const GIT_ARGS = ['-c', 'safe.directory=*', '-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'];
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

function git(repo: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...GIT_ARGS, '-C', repo, ...args], { env: GIT_ENV, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'git is not installed (needed to read git clones)' : (stderr.trim().split('\n').find((l) => l.startsWith('fatal:') || l.startsWith('error:')) ?? stderr.trim().split('\n')[0] ?? error.message);
        reject(new GitError(reason.replace(/^(fatal|error): /, '')));
      } else {
        resolve(stdout);
      }
    });
  });
}

export function isGitClone(dir: string): boolean {
  return existsSync(path.join(dir, '.git'));
}

/** The commit checked out, or why there is none (an empty clone, a broken .git). */
export async function headCommit(repo: string): Promise<{ commit: string } | { problem: string }> {
  try {
    return { commit: (await git(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim() };
  } catch (error) {
    // rev-parse --quiet fails without a message when HEAD names no commit yet.
    const reason = (error as Error).message;
    return { problem: reason && !/^Command failed/.test(reason) ? `broken git clone (git: ${reason})` : 'empty git clone: no commit at all' };
  }
}

export interface DeadlineCommit {
  commit: string;
  /** Committer date, ISO 8601: set by whoever made the commit, so a student can forge it. */
  date: string;
  /** Commits reachable from HEAD made after this one (by ancestry), ignored. */
  later: number;
}

/** The last commit (by committer date) reachable from HEAD before the deadline, or null when there is none. */
export async function commitBefore(repo: string, deadline: Date): Promise<DeadlineCommit | null> {
  const out = (await git(repo, ['rev-list', '-n', '1', '--format=%H %cI', '--no-commit-header', `--before=${deadline.toISOString()}`, 'HEAD'])).trim();
  if (!out) return null;
  const [commit, date] = out.split(' ') as [string, string];
  const later = Number((await git(repo, ['rev-list', '--count', 'HEAD', '--not', commit])).trim());
  return { commit, date, later };
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  hash: string;
  name: string;
}

/** The entries of a tree (`COMMIT` or `COMMIT:labs/lab-03`), or null when that path does not exist there. */
export async function listTree(repo: string, treeish: string): Promise<TreeEntry[] | null> {
  let out: string;
  try {
    out = await git(repo, ['ls-tree', '-z', treeish]);
  } catch {
    return null;
  }
  return out.split('\0').filter(Boolean).map((line) => {
    const [meta, name] = line.split('\t') as [string, string];
    const [mode, type, hash] = meta.split(' ') as [string, TreeEntry['type'], string];
    return { mode, type, hash, name };
  });
}

/** The id of the tree at `COMMIT:path` (content-addressed: equal trees are equal files). */
export async function treeId(repo: string, commit: string, subPath: string): Promise<string | null> {
  try {
    return (await git(repo, ['rev-parse', '--verify', '--quiet', `${commit}:${subPath}`])).trim() || null;
  } catch {
    return null;
  }
}

/** Every blob of a tree, read in one `git cat-file --batch`. */
function readBlobs(repo: string, hashes: string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...GIT_ARGS, '-C', repo, 'cat-file', '--batch'], { env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git cat-file failed in ${repo}: ${stderr.trim()}`));
      const all = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let at = 0;
      while (at < all.length) {
        const eol = all.indexOf(0x0a, at);
        const [hash, type, size] = all.subarray(at, eol).toString('utf8').split(' ');
        if (type === 'missing' || !hash || !size) return reject(new GitError(`object ${hash} is missing from ${repo}`));
        const start = eol + 1;
        blobs.set(hash, all.subarray(start, start + Number(size)));
        at = start + Number(size) + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(hashes.map((h) => `${h}\n`).join(''));
  });
}

/**
 * Writes the files of a tree into `dest` (which must be empty): a temporary work
 * tree that exists only outside the clone. Symlinks stay symlinks; submodules
 * (which a lab never needs) are skipped.
 */
export async function writeTree(repo: string, tree: string, dest: string): Promise<void> {
  const out = await git(repo, ['ls-tree', '-r', '-z', tree]);
  const entries = out.split('\0').filter(Boolean).map((line) => {
    const [meta, name] = line.split('\t') as [string, string];
    const [mode, type, hash] = meta.split(' ') as [string, string, string];
    return { mode, type, hash, name };
  }).filter((e) => e.type === 'blob');
  const blobs = await readBlobs(repo, [...new Set(entries.map((e) => e.hash))]);
  mkdirSync(dest, { recursive: true });
  for (const entry of entries) {
    const target = path.join(dest, entry.name);
    if (!target.startsWith(dest + path.sep)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    const content = blobs.get(entry.hash)!;
    if (entry.mode === '120000') symlinkSync(content.toString('utf8'), target);
    else writeFileSync(target, content, { mode: entry.mode === '100755' ? 0o755 : 0o644 });
  }
}
