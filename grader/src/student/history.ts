import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Result } from '../result.js';
import { fromRoot } from '../paths.js';
import { studentSay } from './messages.js';

/** The last grading of one lab, as the student's overview shows it. */
export interface HistoryEntry {
  lab: string;
  score: number;
  maxScore: number;
  passed: number;
  total: number;
  /** ISO time the grading ended. */
  at: string;
  submission: string;
  /** The main deliverable was missing: nothing was graded. */
  ungradable: boolean;
}

export interface History {
  version: 1;
  /** Latest grading per lab id. */
  labs: Record<string, HistoryEntry>;
}

export interface LoadedHistory {
  history: History;
  /** Set when the file was there but unreadable: it was moved to `backup`, and this is a fresh history. */
  corrupt: { reason: string; backup: string } | null;
}

const empty = (): History => ({ version: 1, labs: {} });

/**
 * DOCKERLAB_HISTORY, else `.dockerlab/history.json` in the course clone (next to the
 * labs it describes, ignored by git, gone with the clone), else the user's cache folder
 * when the grader is installed read-only.
 */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKERLAB_HISTORY) return path.resolve(env.DOCKERLAB_HISTORY);
  const own = fromRoot('.dockerlab');
  try {
    mkdirSync(own, { recursive: true });
    accessSync(own, constants.W_OK);
    return path.join(own, 'history.json');
  } catch {
    return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'dockerlab', 'history.json');
  }
}

/** Reads the history; a missing file is an empty history, a damaged one is set aside (never lost) and replaced. */
export function loadHistory(file: string): LoadedHistory {
  if (!existsSync(file)) return { history: empty(), corrupt: null };
  let reason: string;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const problem = whatIsWrong(parsed);
    if (problem === null) return { history: parsed as History, corrupt: null };
    reason = problem;
  } catch (error) {
    reason = (error as Error).message;
  }
  const backup = `${file}.corrupt-${Date.now()}`;
  try {
    renameSync(file, backup);
  } catch {
    // Unreadable and immovable: the next write replaces it.
  }
  return { history: empty(), corrupt: { reason, backup } };
}

function whatIsWrong(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { version, labs } = value as Partial<History>;
  if (version !== 1) return `unknown version ${JSON.stringify(version)}`;
  if (typeof labs !== 'object' || labs === null || Array.isArray(labs)) return '"labs" is not an object';
  for (const [id, entry] of Object.entries(labs)) {
    const e = entry as Partial<HistoryEntry> | null;
    if (!e || typeof e.score !== 'number' || typeof e.maxScore !== 'number' || typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return `the entry of ${id} lacks score, maxScore or a date`;
  }
  return null;
}

export function entryOf(result: Result, at: Date): HistoryEntry {
  return {
    lab: result.lab,
    score: result.score,
    maxScore: result.maxScore,
    passed: result.checks.filter((c) => c.status === 'passed').length,
    total: result.checks.length,
    at: at.toISOString(),
    submission: result.submission,
    ungradable: !!result.ungradable,
  };
}

/** Records one grading (read, update, write whole through a temp file so a crash never leaves half a file). */
export function recordGrading(file: string, result: Result, at: Date = new Date()): LoadedHistory {
  const loaded = loadHistory(file);
  loaded.history.labs[result.lab] = entryOf(result, at);
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(loaded.history, null, 2)}\n`);
  renameSync(temp, file);
  return loaded;
}

/** After a grading of the CLI: records it, saying (never throwing) when the file was damaged or cannot be written. */
export function rememberGrading(result: Result, warn: (text: string) => void, file: string = historyFile()): void {
  const say = studentSay(result.lang);
  try {
    const { corrupt } = recordGrading(file, result);
    if (corrupt) warn(`${say('historyCorrupt', { file, reason: corrupt.reason, backup: corrupt.backup })}\n`);
  } catch (error) {
    warn(`${say('historyUnwritable', { file, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message })}\n`);
  }
}
