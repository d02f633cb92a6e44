import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseImages } from '../build/index.js';
import { createHostRuntime, requireEngine } from '../engine/index.js';
import { currentGraderVersion, grade } from '../grade.js';
import { fromRoot } from '../paths.js';
import type { BatchGrader } from './run-batch.js';

/**
 * What a stored grading was graded by: the package version plus a hash of the
 * grader's code as it runs (the bundle, or the sources under test). A fix that
 * forgets to bump the version still makes the next batch grade again, instead of
 * serving grades the old code gave.
 */
export function graderBuildVersion(): string {
  // The bundle this code runs from (its entry beside, or one level up from a chunk), else the sources (tests).
  const here = path.dirname(fileURLToPath(import.meta.url));
  const bundle = [here, path.dirname(here)].find((dir) => existsSync(path.join(dir, 'cli.js')));
  const root = bundle ?? fromRoot('grader', 'src');
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(js|ts|json)$/.test(name)) hash.update(name).update(readFileSync(full));
    }
  };
  walk(root);
  return `${currentGraderVersion()}+${hash.digest('hex').slice(0, 12)}`;
}

/**
 * The batch's grading function on the real engine: one host Runtime and one set
 * of base images shared by every grading (so a stand-in is built once per batch,
 * not once per student), script and compose labs in their sandboxes unless off.
 */
export function createRealGrader(options: { env: NodeJS.ProcessEnv; sandbox: 'auto' | 'off' }): BatchGrader {
  const runtime = createHostRuntime({ env: options.env });
  const baseImages = new BaseImages(runtime);
  return {
    version: graderBuildVersion(),
    preflight: () => requireEngine(runtime),
    gradeOne: (job, signal) =>
      grade({
        lab: job.lab,
        labsDir: job.labsDir,
        submission: job.submission,
        lang: job.lang,
        runtime,
        baseImages,
        // A class's work is untrusted: a sandbox or nothing, unless the teacher says off.
        sandbox: options.sandbox === 'off' ? 'off' : 'required',
        signal,
        progress: job.progress,
        logsDir: job.logsDir,
      }),
  };
}
