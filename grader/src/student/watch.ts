import { watch as fsWatch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Lang } from '../i18n/lang.js';
import type { Result } from '../result.js';
import { Rerunner } from './debounce.js';
import { diffResults, renderDiff } from './diff.js';
import { isIgnoredChange } from './ignore.js';
import { studentSay } from './messages.js';

/** Quiet time after the last save before grading: an editor's save is several writes and renames within a few ms. */
export const QUIET_MS = 300;

export interface WatchOptions {
  /** The submission folder. */
  folder: string;
  /** For the lines printed before any result says its language. */
  lang: Lang;
  /** One grading with its reports; null when it was interrupted. Errors are the grading's (shown, then the watch goes on). */
  gradeOnce: () => Promise<Result | null>;
  /** The report's stream (the diff goes there, after the report). */
  out: (text: string) => void;
  /** Status lines (watching, changed files). */
  status: (text: string) => void;
  /** Ctrl-C: ends the watch once the grading under way has stopped. */
  signal: AbortSignal;
  quietMs?: number;
  /** For tests: how the folder is watched. */
  watchFolder?: (folder: string, onChange: (file: string | null) => void) => { close(): void };
}

/**
 * `--watch`: grades, then grades again after every save of the submission's
 * files (debounced, editors' temporary files ignored, never two gradings at
 * once: saves during one give one more after it), printing what changed since
 * the last grade. Resolves with the last result when `signal` aborts.
 */
export async function watchAndGrade(options: WatchOptions): Promise<Result | null> {
  const { folder, signal } = options;
  let last: Result | null = null;
  let lang = options.lang;
  const say = () => studentSay(lang);
  const round = async (changes: string[] | null) => {
    if (signal.aborted) return;
    if (changes) options.status(`${say()('changed', { files: listed(changes, say()) })}\n`);
    let result: Result | null;
    try {
      result = await options.gradeOnce();
    } catch (error) {
      if (last === null) throw error;
      options.status(`${say()('gradingFailed', { reason: (error as Error).message ?? String(error) })}\n`);
      return;
    }
    if (!result) return;
    lang = result.lang;
    if (last) options.out(renderDiff(diffResults(last, result), lang));
    last = result;
    if (!signal.aborted) options.status(`${say()('watching', { folder })}\n`);
  };
  // The first grading, before any watching: its errors (no engine, bad lab) end the command as without --watch.
  await round(null);
  if (signal.aborted) return last;
  const rerunner = new Rerunner<string>(options.quietMs ?? QUIET_MS, (changes) => round(changes));
  const watcher = (options.watchFolder ?? watchRecursively)(folder, (file) => {
    if (file === null) rerunner.note('.');
    else if (!isIgnoredChange(file)) rerunner.note(file.split(path.sep).join('/'));
  });
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    watcher.close();
    await rerunner.stop();
  }
  return last;
}

function listed(files: string[], say: ReturnType<typeof studentSay>): string {
  const shown = files.slice(0, 3).join(', ');
  return files.length > 3 ? say('moreFiles', { files: shown, count: files.length - 3 }) : shown;
}

/** Node's own watcher (recursive on Linux since Node 20, on macOS and Windows natively). */
function watchRecursively(folder: string, onChange: (file: string | null) => void): { close(): void } {
  let watcher: FSWatcher;
  try {
    watcher = fsWatch(folder, { recursive: true, persistent: true }, (_event, file) => onChange(file === null ? null : String(file)));
  } catch (error) {
    throw Object.assign(new Error(`cannot watch ${folder}: ${(error as Error).message}`), { name: 'UsageError' });
  }
  // A watched folder removed or unreadable: say so once, keep the process alive until Ctrl-C.
  watcher.on('error', (error) => process.stderr.write(`dockerlab: watching ${folder} stopped: ${error.message}\n`));
  return watcher;
}
