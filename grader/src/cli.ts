#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isLang, langFromLocale, type Lang } from './i18n/lang.js';

const HELP = `dockerlab — grades hands-on Docker labs in real containers

Usage:
  npm run grade <lab-NN> [-- options]       grade labs/lab-NN (or --submission DIR)
  npm run grade -- --list                   the labs, their titles and points
  npm run grade -- --validate [lab-NN…]     check lab specs without running anything
  npm run grade -- --cleanup                remove everything the grader left behind
  npm run grade -- images --ensure          prepare every base image (pull or offline stand-in)

Options:
  --submission DIR   the student's files (default: the lab's own folder)
  --format FORMAT    terminal (default) or json
  --lang fr|en       language of the report (default: LANG, then the lab's)
  --quiet            no progress lines on stderr
  -h, --help         this text

Exit codes: 0 all checks passed · 1 some failed · 2 bad usage or invalid lab/submission · 3 no Docker engine`;

const EXIT = { passed: 0, failed: 1, usage: 2, noEngine: 3 } as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        submission: { type: 'string' },
        format: { type: 'string', default: 'terminal' },
        lang: { type: 'string' },
        list: { type: 'boolean' },
        validate: { type: 'boolean' },
        cleanup: { type: 'boolean' },
        ensure: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.lang !== undefined && !isLang(values.lang)) return usage(`--lang must be fr or en, not "${values.lang}"`);
  const lang = values.lang as Lang | undefined;
  const t0 = Date.now();
  const stamp = process.env.DOCKERLAB_DEBUG ? () => `[${Date.now() - t0} ms] ` : () => '';
  const progress = values.quiet ? () => undefined : (line: string) => process.stderr.write(`· ${stamp()}${line}\n`);

  if (values.list) return list(lang);
  if (values.validate) return validate(positionals);
  if (values.cleanup) return cleanup();
  if (positionals[0] === 'images') {
    if (!values.ensure) return usage('images: add --ensure');
    const { requireEngine } = await import('./engine/docker.js');
    const { ensureAllStandIns } = await import('./engine/base-images.js');
    await requireEngine();
    await ensureAllStandIns((line) => process.stderr.write(`${line}\n`));
    process.stderr.write('base images ready\n');
    return 0;
  }

  const labArg = positionals[0];
  if (!labArg) return usage('which lab? e.g. npm run grade lab-03');
  if (positionals.length > 1) return usage(`unexpected argument "${positionals[1]}" (options go after --, e.g. npm run grade ${labArg} -- --submission DIR)`);
  const { REPORTERS } = await import('./report/index.js');
  const reporter = REPORTERS[values.format ?? 'terminal'];
  if (!reporter) return usage(`unknown --format "${values.format}"; known formats: ${Object.keys(REPORTERS).join(', ')}`);
  const { grade } = await import('./grade.js');
  const { exitCodeFor } = await import('./result.js');
  // `npm run` moves to the package root; relative paths mean what they meant where the user typed them.
  const here = process.env.INIT_CWD ?? process.cwd();
  const { resolve } = await import('node:path');
  const result = await grade({
    lab: /^lab-\d{2}$/.test(labArg) ? labArg : resolve(here, labArg),
    ...(values.submission ? { submission: resolve(here, values.submission) } : {}),
    ...(lang ? { lang } : {}),
    progress: values.format === 'json' && !process.stderr.isTTY ? () => undefined : progress,
  });
  const color = values.format === 'terminal' && !!process.stdout.isTTY && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  process.stdout.write(reporter(result, { color }));
  return exitCodeFor(result);
}

function usage(message: string): number {
  process.stderr.write(`dockerlab: ${message}\nRun with --help for usage.\n`);
  return EXIT.usage;
}

async function list(lang: Lang | undefined): Promise<number> {
  const { listLabIds, loadLabFile, labsDir } = await import('./spec/load.js');
  const path = await import('node:path');
  const { pick } = await import('./i18n/lang.js');
  const chosen = lang ?? langFromLocale(process.env.LANG) ?? 'fr';
  for (const id of listLabIds()) {
    try {
      const lab = loadLabFile(path.join(labsDir(), id, 'lab.json'));
      const points = lab.checks.reduce((s, c) => s + c.points, 0);
      process.stdout.write(`${id}  ${pick(lab.title, chosen)}  (${points} pts, ${lab.checks.length} checks, ${lab.workload.kind})\n`);
    } catch (error) {
      process.stdout.write(`${id}  (invalid lab.json: ${(error as Error).message.split('\n')[0]})\n`);
    }
  }
  return 0;
}

async function validate(ids: string[]): Promise<number> {
  const { listLabIds, loadLabFile, InvalidSpecError } = await import('./spec/load.js');
  const { resolveLabDir } = await import('./grade.js');
  const path = await import('node:path');
  let bad = 0;
  for (const id of ids.length ? ids : listLabIds()) {
    try {
      loadLabFile(path.join(resolveLabDir(id), 'lab.json'));
      process.stdout.write(`✓ ${id}\n`);
    } catch (error) {
      if (!(error instanceof InvalidSpecError)) throw error;
      bad++;
      process.stdout.write(`✗ ${id}\n${error.message.replace(/^/gm, '    ')}\n`);
    }
  }
  return bad ? EXIT.usage : 0;
}

async function cleanup(): Promise<number> {
  const { requireEngine } = await import('./engine/docker.js');
  const { removeLabelled } = await import('./engine/cleanup.js');
  await requireEngine();
  const removed = await removeLabelled();
  const count = removed.containers.length + removed.images.length + removed.networks.length + removed.volumes.length;
  process.stdout.write(count === 0 ? 'nothing to remove\n' : `removed ${removed.containers.length} container(s), ${removed.images.length} image(s), ${removed.networks.length} network(s), ${removed.volumes.length} volume(s)\n`);
  for (const problem of removed.problems) process.stderr.write(`could not remove ${problem}\n`);
  return removed.problems.length ? 1 : 0;
}

/** Every error a user can cause ends here as a clear message and an exit code, never a stack trace. */
async function run(): Promise<void> {
  // A reader that goes away (`… | head`) must not kill the run before it removes its containers.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (error) {
    const name = (error as Error)?.name;
    const message = (error as Error)?.message ?? String(error);
    if (name === 'NoEngineError') {
      process.stderr.write(`dockerlab: ${message}\n`);
      code = EXIT.noEngine;
    } else if (name === 'UsageError' || name === 'InvalidSpecError') {
      process.stderr.write(`dockerlab: ${name === 'InvalidSpecError' ? 'invalid lab spec:\n' : ''}${message}\n`);
      code = EXIT.usage;
    } else if (name === 'EngineError') {
      process.stderr.write(`dockerlab: Docker engine error: ${message}\n`);
      code = EXIT.noEngine;
    } else {
      process.stderr.write(`dockerlab: internal error: ${message}\n${process.env.DOCKERLAB_DEBUG ? `${(error as Error)?.stack}\n` : 'Set DOCKERLAB_DEBUG=1 for details.\n'}`);
      code = 70;
    }
  }
  process.exitCode = code;
}

void run();
