import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Destination } from './types.js';

/** Where one reporter's text goes; files are written synchronously so a crash right after leaves them whole. */
export interface Output {
  readonly description: string;
  /** Replaces the whole content (a file is rewritten; stdout just receives the text). */
  replace(text: string): void;
  /** Adds to what is there. */
  append(text: string): void;
}

export class ReportWriteError extends Error {
  constructor(target: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
    super(`cannot write the report to ${target} (${reason}); give a writable path, e.g. --reporter junit=reports/junit.xml`);
    this.name = 'UsageError';
  }
}

export function stdoutOutput(stdout: NodeJS.WritableStream): Output {
  return { description: 'standard output', replace: (text) => void stdout.write(text), append: (text) => void stdout.write(text) };
}

export function fileOutput(file: string): Output {
  const guard = (write: () => void) => {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      write();
    } catch (error) {
      throw new ReportWriteError(file, error);
    }
  };
  return {
    description: file,
    replace: (text) => guard(() => writeFileSync(file, text)),
    append: (text) => guard(() => appendFileSync(file, text)),
  };
}

export function outputFor(destination: Destination | undefined, stdout: NodeJS.WritableStream): Output {
  return destination?.kind === 'file' ? fileOutput(destination.path) : stdoutOutput(stdout);
}

/** Writes one piece after the other: the first replaces a file's old content, the next ones add to it. */
export function inOrder(out: Output): { write(text: string): void } {
  let first = true;
  return {
    write(text) {
      if (first) out.replace(text);
      else out.append(text);
      first = false;
    },
  };
}
