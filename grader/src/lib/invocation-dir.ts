import path from 'node:path';

/**
 * The folder the user typed the command in, against which relative paths (--labs-dir,
 * --submission, report files) are resolved.
 *
 * `npm run grade` moves the process to the package root and leaves the user's folder in
 * INIT_CWD. But INIT_CWD is inherited by every process below an npm script: a grader started
 * directly (`node grader/dist/cli.js`, `npx dockerlab`) from a CI step, a test or a teacher's
 * own script run under `npm test` must not resolve paths against the folder where that outer
 * npm was started. So INIT_CWD counts only when this process still stands where npm put it:
 * in the folder of the package.json npm ran (npm_package_json).
 */
export function invocationDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const init = env.INIT_CWD;
  const pkg = env.npm_package_json;
  if (!init || !pkg) return cwd;
  return path.resolve(path.dirname(pkg)) === path.resolve(cwd) ? init : cwd;
}
