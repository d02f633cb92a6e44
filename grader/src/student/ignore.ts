/**
 * Which changed paths in a submission are not the student's saves: editors'
 * temporary and backup files, version control, dependencies. A save of
 * `Dockerfile` by vim, emacs, JetBrains or VS Code also writes (and removes) some
 * of these; grading on them would grade twice or grade a half-written file.
 */
const IGNORED_DIRS = new Set(['.git', 'node_modules', '.dockerlab', '.idea', '__pycache__', '.hg', '.svn']);

const IGNORED_NAMES: RegExp[] = [
  /^\..*\.sw[a-px]$/, // vim swap files: .x.swp, .x.swo… and .x.swx (its probe); hidden, so x.swf still counts
  /^4913$/, // vim's probe that the folder is writable
  /~$/, // vim / emacs / nano backups: Dockerfile~
  /^#.*#$/, // emacs auto-save: #Dockerfile#
  /^\.#/, // emacs lock: .#Dockerfile
  /___jb_(tmp|old|bak)___$/, // JetBrains safe write
  /\.tmp\.\d+$/, // VS Code's atomic save: Dockerfile.tmp.12345
  /\.[0-9a-f]{4,}\.tmp$/i, // VS Code / write-file-atomic: x.3f2a1b.tmp
  /^\.~lock\./, // LibreOffice
  /\.(orig|rej|bak)$/i,
  /^\.DS_Store$/,
  /^Thumbs\.db$/i,
  /\.crswap$/, // browsers' File System Access saves
];

/** `rel` is relative to the submission folder, with / or \ separators. */
export function isIgnoredChange(rel: string): boolean {
  const parts = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return true;
  if (parts.slice(0, -1).some((dir) => IGNORED_DIRS.has(dir))) return true;
  const name = parts[parts.length - 1]!;
  if (IGNORED_DIRS.has(name)) return true;
  return IGNORED_NAMES.some((pattern) => pattern.test(name));
}
