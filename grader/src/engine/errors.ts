/** An engine fault: not the student's mistake. Checks that hit one are reported as `error`. */
export class EngineError extends Error {
  constructor(message: string, readonly statusCode?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** No sandbox engine can be made here (Docker Desktop, a remote engine, not Linux): the caller decides whether to go on without one. */
export class SandboxUnavailableError extends EngineError {
  /** The sandbox profiles that were refused, and why (for the result, when the grading goes on without a sandbox). */
  readonly refused: { profile: string; reason: string }[];
  constructor(message: string, refused: { profile: string; reason: string }[] = []) {
    super(message);
    this.refused = refused;
    this.name = 'SandboxUnavailableError';
  }
}

/** The engine cannot be reached at all (exit code 3). */
export class NoEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoEngineError';
  }
}

/** A mistake in how the grader was called or in a lab spec / submission path (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const json = (error as { json?: { message?: string } }).json;
    return json?.message ?? error.message;
  }
  return String(error);
}
