/**
 * A reporter that cannot do its job with what it was given (no $GITHUB_OUTPUT, an
 * unknown name…). Named `UsageError` so the CLI reports it as bad usage (exit 2),
 * with the message only.
 */
export class ReporterUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
