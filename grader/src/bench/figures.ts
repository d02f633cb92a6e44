import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentGraderVersion } from '../grade.js';
import { fromRoot } from '../paths.js';

/** Where the benches leave their measured figures (.dockerlab/bench/<name>.json), for the benches that compute from them. */
export const FIGURES_DIR = fromRoot('.dockerlab', 'bench');

export interface Figures<T> {
  bench: string;
  measuredAt: string;
  grader: string;
  figures: T;
}

export function writeBenchFigures<T>(name: string, figures: T): string {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const file = path.join(FIGURES_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ bench: name, measuredAt: new Date().toISOString(), grader: currentGraderVersion(), figures } satisfies Figures<T>, null, 2)}\n`);
  return file;
}

/** The figures a bench wrote, or null with the command that writes them. */
export function readBenchFigures<T>(name: string): Figures<T> | null {
  try {
    return JSON.parse(readFileSync(path.join(FIGURES_DIR, `${name}.json`), 'utf8')) as Figures<T>;
  } catch {
    return null;
  }
}
