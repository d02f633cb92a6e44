import type { ActionResult, CheckResult, Result } from '../result.js';
import { classroomReporter } from './classroom.js';
import { ReporterUsageError } from './errors.js';
import { createGithubReporter, githubReporter } from './github.js';
import { gradescopeReporter } from './gradescope.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { prairieLearnReporter } from './prairielearn.js';
import { problemsReporter } from './problems.js';
import { tapReporter } from './tap.js';
import { terminalReporter } from './terminal.js';
import type { Destination, Reporter, ReporterFactory, ReporterOptions } from './types.js';

/** Format name → reporter factory, sorted by name. */
export const REPORTERS: Readonly<Record<string, ReporterFactory>> = Object.freeze({
  classroom: classroomReporter,
  github: githubReporter,
  gradescope: gradescopeReporter,
  json: jsonReporter,
  junit: junitReporter,
  prairielearn: prairieLearnReporter,
  problems: problemsReporter,
  tap: tapReporter,
  terminal: terminalReporter,
});

export interface ReporterSpec {
  name: string;
  destination?: Destination;
}

const knownNames = () => Object.keys(REPORTERS).join(', ');

/**
 * The values of repeated `--reporter NAME[=FILE]` options. `FILE` may contain `=`;
 * `-` means standard output. Unknown names are an error that lists the known ones.
 */
export function parseReporterArgs(values: string[]): ReporterSpec[] {
  return values.map((value) => {
    const at = value.indexOf('=');
    const name = (at < 0 ? value : value.slice(0, at)).trim();
    const file = at < 0 ? undefined : value.slice(at + 1);
    if (!Object.hasOwn(REPORTERS, name)) {
      throw new ReporterUsageError(`unknown reporter "${name}" in --reporter ${value}; known reporters: ${knownNames()} (write NAME or NAME=FILE)`);
    }
    if (file === '') throw new ReporterUsageError(`--reporter ${value}: the file name after "=" is empty (write ${name}=FILE, or just ${name})`);
    if (file === undefined) return { name };
    return { name, destination: file === '-' ? { kind: 'stdout' } : { kind: 'file', path: file } };
  });
}

/** The reporters used when none is named: inside GitHub Actions the log and the Actions integration, else the terminal. */
export function defaultReporters(env: Record<string, string | undefined>): string[] {
  return env.GITHUB_ACTIONS === 'true' ? ['terminal', 'github'] : ['terminal'];
}

/** Several reporters behind one: every event goes to each, in the order they were named. */
export interface OpenReporters {
  onCheck(check: CheckResult): void;
  onAction(action: ActionResult): void;
  onResult(result: Result): Promise<void>;
  onBatchEnd(results: Result[]): Promise<void>;
  /** Closes every reporter, even when one fails; the first failure is thrown after. */
  close(): Promise<void>;
}

/**
 * Creates the reporters named by `specs` (each with its destination, resolved
 * relative paths are the caller's business). When `classroom` writes the step
 * output (no =FILE), the `github` reporter leaves the score notices to the Classroom
 * grading reporter step that reads that output, so Classroom sees them once.
 */
export function openReporters(specs: ReporterSpec[], options: Omit<ReporterOptions, 'destination'>): OpenReporters {
  const withClassroom = specs.some((s) => s.name === 'classroom' && s.destination?.kind !== 'file');
  const reporters: Reporter[] = specs.map((spec) => {
    const factory = REPORTERS[spec.name];
    if (!factory) throw new ReporterUsageError(`unknown reporter "${spec.name}"; known reporters: ${knownNames()}`);
    const own: ReporterOptions = { ...options, ...(spec.destination ? { destination: spec.destination } : {}) };
    return spec.name === 'github' ? createGithubReporter(own, { scoreNotices: !withClassroom }) : factory.create(own);
  });
  const each = async (call: (reporter: Reporter) => void | Promise<void>) => {
    for (const reporter of reporters) await call(reporter);
  };
  return {
    onCheck: (check) => reporters.forEach((r) => r.onCheck?.(check)),
    onAction: (action) => reporters.forEach((r) => r.onAction?.(action)),
    onResult: (result) => each((r) => r.onResult(result)),
    onBatchEnd: (results) => each((r) => r.onBatchEnd?.(results)),
    async close() {
      let failure: unknown;
      for (const reporter of reporters) {
        try {
          await reporter.close?.();
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}

export type { Destination, Reporter, ReporterFactory, ReporterOptions } from './types.js';
