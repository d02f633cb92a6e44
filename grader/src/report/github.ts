import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { format } from '../i18n/lang.js';
import { MESSAGES } from '../i18n/messages.js';
import { REPORT_MESSAGES } from '../i18n/report-messages.js';
import type { CheckResult, Result } from '../result.js';
import { renderJobSummary, STEP_SUMMARY_LIMIT } from './job-summary.js';
import { fileOutput, type Output } from './output.js';
import { plainText } from './sanitize.js';
import type { Reporter, ReporterFactory, ReporterOptions } from './types.js';
import { annotation } from './workflow-commands.js';

/** GitHub shows at most 10 error and 10 warning annotations per step. */
export const MAX_ANNOTATIONS_PER_LEVEL = 10;
const MAX_ANNOTATION_MESSAGE = 4000;

/**
 * Annotations of one grading: an error per failed check (on the student's file and
 * line when the grader knows them), the checks that cost most first, at most ten; a
 * warning per check that could not be evaluated. Skipped checks only follow a
 * failure that is already annotated.
 */
export function renderAnnotations(result: Result, env: Record<string, string | undefined>, left: AnnotationBudget = newAnnotationBudget()): string {
  const r = REPORT_MESSAGES[result.lang];
  const lost = (c: CheckResult) => c.maxPoints - c.points;
  const failed = result.checks
    .map((check, order) => ({ check, order }))
    .filter(({ check }) => check.status === 'failed')
    .sort((a, b) => lost(b.check) - lost(a.check) || Number(!!b.check.location) - Number(!!a.check.location) || a.order - b.order)
    .slice(0, left.error)
    .map(({ check }) => annotation('error', annotationMessage(check, result), {
      ...(check.location ? { file: repositoryPath(result, check.location.file, env), line: check.location.line } : {}),
      title: format(r.annotationTitle, { title: check.title, points: check.points, maxPoints: check.maxPoints }),
    }));
  const errors = result.checks
    .filter((c) => c.status === 'error')
    .slice(0, left.warning)
    .map((check) => annotation('warning', check.message, { title: format(r.annotationErrorTitle, { title: check.title }) }));
  left.error -= failed.length;
  left.warning -= errors.length;
  return [...failed, ...errors].join('');
}

/** What is left of the step's annotations: several gradings in one step share the ten. */
export interface AnnotationBudget {
  error: number;
  warning: number;
}

export function newAnnotationBudget(): AnnotationBudget {
  return { error: MAX_ANNOTATIONS_PER_LEVEL, warning: MAX_ANNOTATIONS_PER_LEVEL };
}

function annotationMessage(check: CheckResult, result: Result): string {
  const m = MESSAGES[result.lang];
  const colon = result.lang === 'fr' ? ' : ' : ': ';
  const parts = check.expected !== null && check.observed !== null
    ? [`${m.expected}${colon}${check.expected}`, `${m.observed}${colon}${check.observed}`]
    : [check.message];
  if (check.hint) parts.push(`${m.hint}${colon}${check.hint}`);
  const text = plainText(parts.join('\n'));
  return text.length > MAX_ANNOTATION_MESSAGE ? `${text.slice(0, MAX_ANNOTATION_MESSAGE)}…` : text;
}

/**
 * Annotations name files relative to the root of the repository that ran the workflow
 * (GitHub resolves `file=` there); the result's locations are relative to the
 * submission. The workflows check the student's repository out in a folder of the
 * workspace (`student/`), so the root is the nearest folder above the submission
 * that holds a `.git` (a folder, or a file for a worktree), up to GITHUB_WORKSPACE;
 * without one, the workspace itself.
 */
export function repositoryPath(result: Result, file: string, env: Record<string, string | undefined>): string {
  const workspace = env.GITHUB_WORKSPACE ? path.resolve(env.GITHUB_WORKSPACE) : undefined;
  const absolute = path.resolve(result.submission, file);
  const inside = (root: string) => {
    const relative = path.relative(root, absolute);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : null;
  };
  const root = repositoryRoot(path.resolve(result.submission), workspace);
  const fromRoot = root ? inside(root) : null;
  if (fromRoot) return fromRoot;
  const fromWorkspace = workspace ? inside(workspace) : null;
  return fromWorkspace ?? file;
}

/** The nearest folder from `dir` upwards holding `.git`, not above `limit` (when given and `dir` is inside it). */
function repositoryRoot(dir: string, limit: string | undefined): string | null {
  const bounded = limit !== undefined && !path.relative(limit, dir).startsWith('..');
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at;
    if ((bounded && at === limit) || path.dirname(at) === at) return null;
  }
}

/** The two notices GitHub Classroom reads (the grading reporter's own wording), from our score. */
export function renderScoreNotices(score: number, maxScore: number): string {
  const round = (n: number) => Math.round(n * 100) / 100;
  const totalPoints = round(score);
  const maxPoints = round(maxScore);
  return annotation('notice', `Points ${totalPoints}/${maxPoints}`, { title: 'Autograding complete' })
    + annotation('notice', JSON.stringify({ totalPoints, maxPoints }), { title: 'Autograding report' });
}

export interface GithubReporterSettings {
  /**
   * False when the Classroom reporter runs too: its `result` output feeds
   * classroom-resources/autograding-grading-reporter, which emits these notices
   * itself, and Classroom must see them once.
   */
  scoreNotices: boolean;
}

export function createGithubReporter(options: ReporterOptions, settings: GithubReporterSettings): Reporter {
  const summaryFile = options.destination?.kind === 'file' ? options.destination.path : options.env.GITHUB_STEP_SUMMARY || undefined;
  const summary: Output | undefined = summaryFile ? fileOutput(summaryFile) : undefined;
  const graded: Result[] = [];
  const annotationsLeft = newAnnotationBudget();
  return {
    name: 'github',
    onResult(result) {
      graded.push(result);
      if (summary && summaryFile) {
        // The 1 MiB is per step, shared with whatever the step already wrote there.
        const used = existsSync(summaryFile) ? statSync(summaryFile).size : 0;
        const limitBytes = Math.max(0, STEP_SUMMARY_LIMIT - used - 1);
        summary.append(`${renderJobSummary(result, { limitBytes, scoreSentByClassroom: !settings.scoreNotices })}\n`);
      }
      options.stdout.write(renderAnnotations(result, options.env, annotationsLeft));
    },
    async close() {
      if (!settings.scoreNotices || graded.length === 0) return;
      const score = graded.reduce((sum, r) => sum + r.score, 0);
      const maxScore = graded.reduce((sum, r) => sum + r.maxScore, 0);
      options.stdout.write(renderScoreNotices(score, maxScore));
    },
  };
}

export const githubReporter: ReporterFactory = {
  name: 'github',
  description: 'GitHub Actions: job summary ($GITHUB_STEP_SUMMARY, or =FILE), annotations on the student\'s files, and the "Points X/Y" notices',
  create: (options) => createGithubReporter(options, { scoreNotices: true }),
};
