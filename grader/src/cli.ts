#!/usr/bin/env node
// Over 300 lines because it is the one place that reads argv, handles signals and maps outcomes to exit codes for
// every command (grade, --watch, batch, test-lab, images, cleanup); each command's work is in its own folder.
import { parseArgs } from 'node:util';
import { invocationDir } from './lib/invocation-dir.js';
import { isLang, langFromLocale, type Lang } from './i18n/lang.js';

const HELP = `dockerlab — grades hands-on Docker labs in real containers

Usage:
  npm run grade                             your labs: not started, or the last score and when
  npm run grade <lab-NN> [-- options]       grade labs/lab-NN (or --submission DIR)
  npm run grade <lab-NN> -- --watch         grade, then grade again on every save (Ctrl-C to stop)
  npm run grade -- --list                   the labs, their titles and points
  npm run grade -- --validate [lab-NN…]     check lab specs without running anything
  npm run grade -- --cleanup [--all]        remove what graders that died left behind (--all: everything labelled, and the build cache)
  npm run grade -- images --ensure [REF…]   prepare every base image (pull or offline stand-in) and the sandbox image, or only the images named
  npm run grade -- batch DIR --out OUT …    grade a whole class (see: npm run grade -- batch --help)
  npm run grade -- batch-merge OUT1 OUT2 … --out OUT
  npm run grade -- test-lab [lab-NN|DIR…]    prove labs with their cases, labs/lab-NN/tests/ (see: npm run grade -- test-lab --help)
  npm run grade -- new-lab lab-NN --workload image|script|compose   write a new lab's skeleton that passes test-lab

Options:
  --submission DIR        the student's files (default: the lab's own folder)
  --reporter NAME[=FILE]  terminal, json, junit, github, classroom, gradescope, prairielearn, problems, tap; repeatable
  --format json           the same as --reporter json
  --lang fr|en            language of the report (default: LANG, then the lab's)
  --sandbox MODE          script and compose labs run in a throw-away sandbox engine: required (default in CI),
                          auto (default: without one, saying so, where none can be made, e.g. Docker Desktop), off (trusted work)
  --sandbox-profile NAME  rootless (the only safe one, the default); the rootful ones are refused: they let a student's
                          container write host kernel settings (a throw-away VM's owner may set DOCKERLAB_SANDBOX_ALLOW_UNSAFE=1)
  --builder auto|classic|buildkit   which builder builds images (default: the machine's; env DOCKERLAB_BUILDER)
  --compose auto|v1|v2    which Compose runs compose labs (default: v2 when present, else v1; env DOCKERLAB_COMPOSE)
  --labs-dir DIR          the labs folder (default: the one shipped with the grader)
  --watch                 grade again after every save of the submission's files, showing what changed
  --quiet                 no progress lines on stderr
  -h, --help              this text

Exit codes: 0 all checks passed · 1 some failed · 2 bad usage or invalid lab/submission · 3 no Docker engine · 130/143 interrupted`;

const EXIT = { passed: 0, failed: 1, usage: 2, noEngine: 3, internal: 70 } as const;
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Signals are handled here and only here: the first one aborts the grading,
 * whose own `finally` removes what it created; a second one says what may be
 * left and how to remove it, then exits at once.
 */
function installSignals(controller: AbortController, onSecond: () => string): { received: () => string | null } {
  let received: string | null = null;
  for (const signal of Object.keys(SIGNAL_EXIT)) {
    process.on(signal, () => {
      if (received) {
        process.stderr.write(`\ndockerlab: ${signal} again: stopping now. ${onSecond()}\n`);
        process.exit(SIGNAL_EXIT[signal]);
      }
      received = signal;
      process.stderr.write(`\ndockerlab: ${signal} received, removing what this run created… (press Ctrl-C again to stop at once)\n`);
      controller.abort();
    });
  }
  return { received: () => received };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'batch' || argv[0] === 'batch-merge') return batch(argv);
  if (argv[0] === 'test-lab' || argv[0] === 'new-lab') return (await import('./authoring/command.js')).authoringCommand(argv, installSignals);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        submission: { type: 'string' },
        format: { type: 'string' },
        reporter: { type: 'string', multiple: true },
        lang: { type: 'string' },
        sandbox: { type: 'string' },
        'sandbox-profile': { type: 'string' },
        builder: { type: 'string' },
        compose: { type: 'string' },
        'labs-dir': { type: 'string' },
        list: { type: 'boolean' },
        validate: { type: 'boolean' },
        cleanup: { type: 'boolean' },
        all: { type: 'boolean' },
        ensure: { type: 'boolean' },
        quiet: { type: 'boolean' },
        watch: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values } = parsed;
  const positionals = parsed.positionals[0] === 'grade' ? parsed.positionals.slice(1) : parsed.positionals;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.lang !== undefined && !isLang(values.lang)) return usage(`--lang must be fr or en, not "${values.lang}"`);
  if (values.sandbox !== undefined && !['auto', 'required', 'off'].includes(values.sandbox)) return usage(`--sandbox must be auto, required or off, not "${values.sandbox}"`);
  const sandboxProfile = values['sandbox-profile'] ?? (process.env.DOCKERLAB_SANDBOX_PROFILE || undefined);
  if (sandboxProfile !== undefined) {
    const { SANDBOX_PROFILE_NAMES } = await import('./sandbox/index.js');
    if (!(SANDBOX_PROFILE_NAMES as readonly string[]).includes(sandboxProfile)) return usage(`--sandbox-profile must be one of ${SANDBOX_PROFILE_NAMES.join(', ')}, not "${sandboxProfile}"`);
  }
  if (values.builder !== undefined && !['auto', 'classic', 'buildkit'].includes(values.builder)) return usage(`--builder must be auto, classic or buildkit, not "${values.builder}"`);
  if (values.compose !== undefined && !['auto', 'v1', 'v2'].includes(values.compose)) return usage(`--compose must be v1, v2 or auto, not "${values.compose}"`);
  if (values.format !== undefined && values.format !== 'json' && values.format !== 'terminal') return usage(`unknown --format "${values.format}"; known formats: json, terminal (or use --reporter)`);
  const lang = values.lang as Lang | undefined;
  // `npm run` moves to the package root; relative paths mean what they meant where the user typed them.
  const here = invocationDir();
  const { resolve } = await import('node:path');
  const labsDir = values['labs-dir'] ? resolve(here, values['labs-dir']) : undefined;
  const t0 = Date.now();
  const stamp = process.env.DOCKERLAB_DEBUG ? () => `[${Date.now() - t0} ms] ` : () => '';
  const progress = values.quiet ? () => undefined : (line: string) => process.stderr.write(`· ${stamp()}${line}\n`);

  if (values.list) return list(lang, labsDir);
  if (values.validate) return validate(positionals, labsDir);
  const { createHostRuntime } = await import('./engine/index.js');
  const runtime = createHostRuntime({ ...(values.builder ? { builder: values.builder as 'auto' } : {}) });
  if (values.cleanup) return cleanup(runtime, !!values.all);
  if (positionals[0] === 'images') {
    if (!values.ensure) return usage('images: add --ensure');
    const { requireEngine } = await import('./engine/index.js');
    const { BaseImages } = await import('./build/index.js');
    await requireEngine(runtime);
    const say = (line: string) => process.stderr.write(`${line}\n`);
    const started = Date.now();
    const baseImages = new BaseImages(runtime);
    const named = positionals.slice(1);
    if (named.length > 0) {
      await baseImages.ensure(named, say);
      say(`${named.join(', ')} ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return 0;
    }
    // Everything else starts from Debian; once it is there, the stand-ins and the sandbox image build side by side.
    await baseImages.ensure(['debian:bookworm-slim'], say);
    const { ensureSandboxImage } = await import('./sandbox/index.js');
    const { allOrFirstError } = await import('./lib/slots.js');
    await allOrFirstError([baseImages.ensureAllStandIns(say), ensureSandboxImage(runtime, say)]);
    say(`base images and sandbox image ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return 0;
  }

  const labArg = positionals[0];
  if (!labArg) {
    if (values.watch) return usage('--watch needs a lab, e.g. npm run grade lab-03 -- --watch');
    const { showOverview } = await import('./student/overview.js');
    return showOverview({ lang: lang ?? langFromLocale(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG) ?? 'fr', labsDir, out: (t) => process.stdout.write(t), warn: (t) => process.stderr.write(t) });
  }
  if (positionals.length > 1) return usage(`unexpected argument "${positionals[1]}" (options go after --, e.g. npm run grade ${labArg} -- --submission DIR)`);
  const { defaultReporters, openReporters, parseReporterArgs } = await import('./report/index.js');
  const named = [...(values.format ? [values.format] : []), ...(values.reporter ?? [])];
  const specs = parseReporterArgs(named.length ? named : defaultReporters(process.env)).map((spec) =>
    spec.destination?.kind === 'file' ? { ...spec, destination: { kind: 'file' as const, path: resolve(here, spec.destination.path) } } : spec,
  );
  const jsonOnStdout = specs.some((s) => s.name !== 'terminal' && (s.destination === undefined || s.destination.kind === 'stdout') && ['json', 'junit', 'gradescope', 'prairielearn', 'tap'].includes(s.name));
  const color = !!process.stdout.isTTY && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  const { grade, chooseLang, resolveLabDir } = await import('./grade.js');
  const { exitCodeFor } = await import('./result.js');
  const { rememberGrading } = await import('./student/history.js');
  const controller = new AbortController();
  const { newRunId } = await import('./engine/index.js');
  // --watch: the session's id is the kept sandbox's; each grading gets its own.
  const runId = newRunId();
  let gradingRunId = runId;
  const keeper = values.watch ? new (await import('./grading/kept-sandbox.js')).SandboxKeeper(runId) : undefined;
  const signals = installSignals(controller, () => `What this run created may be left: its sandbox, containers, images, networks and volumes carry the label dockerlab.run=${gradingRunId}${gradingRunId === runId ? '' : ` or dockerlab.run=${runId}`} (docker ps -a --filter label=dockerlab.run=${gradingRunId}). \`npm run grade -- --cleanup\` removes them (the next grading also sweeps them).`);
  const gradeOnce = async () => {
    const reporters = openReporters(specs, { color, env: { ...process.env }, stdout: process.stdout });
    if (keeper) gradingRunId = newRunId();
    const result = await grade({
      lab: /^lab-\d{2}$/.test(labArg) ? labArg : resolve(here, labArg),
      ...(labsDir ? { labsDir } : {}),
      ...(values.submission ? { submission: resolve(here, values.submission) } : {}),
      ...(lang ? { lang } : {}),
      runtime,
      runId: gradingRunId,
      ...(values.compose ? { compose: values.compose as 'v1' | 'v2' | 'auto' } : {}),
      // In CI the work graded is someone else's: a sandbox or nothing.
      sandbox: (values.sandbox as 'auto' | 'required' | 'off' | undefined) ?? (process.env.CI === 'true' || process.env.GITHUB_ACTIONS === 'true' ? 'required' : 'auto'),
      ...(sandboxProfile ? { sandboxProfile: sandboxProfile as import('./sandbox/index.js').SandboxProfileName } : {}),
      ...(keeper ? { sandboxKeeper: keeper } : {}),
      signal: controller.signal,
      progress: jsonOnStdout && !process.stderr.isTTY ? () => undefined : progress,
      onCheck: (check) => reporters.onCheck(check),
      onAction: (action) => reporters.onAction(action),
    }).catch(async (error: unknown) => {
      await reporters.close().catch(() => undefined);
      throw error;
    });
    if (signals.received()) {
      await reporters.close().catch(() => undefined);
      return null;
    }
    await reporters.onResult(result);
    await reporters.close();
    rememberGrading(result, (t) => process.stderr.write(t));
    return result;
  };
  let result;
  if (keeper) {
    const { watchAndGrade } = await import('./student/watch.js');
    try {
      result = await watchAndGrade({
        folder: values.submission ? resolve(here, values.submission) : resolveLabDir(/^lab-\d{2}$/.test(labArg) ? labArg : resolve(here, labArg), labsDir),
        lang: chooseLang(lang, undefined),
        gradeOnce,
        // A machine format on stdout stays one document per grading: the diff goes beside the progress.
        out: (t) => (jsonOnStdout ? process.stderr : process.stdout).write(t),
        status: (t) => process.stderr.write(t),
        signal: controller.signal,
      });
    } finally {
      await keeper.dispose().catch(() => undefined);
      const { removeLabelled } = await import('./grading/cleanup.js');
      await removeLabelled(runtime, runId).catch(() => undefined);
      if (!values.quiet && keeper.opened > 0) process.stderr.write(`dockerlab: --watch opened ${keeper.opened} sandbox(es), reused ${keeper.reused} time(s)\n`);
    }
  } else {
    result = await gradeOnce();
  }
  const interrupted = signals.received();
  if (interrupted) {
    process.stderr.write('dockerlab: interrupted; what this run created was removed.\n');
    return SIGNAL_EXIT[interrupted] ?? 130;
  }
  return result ? exitCodeFor(result) : EXIT.internal;
}

function usage(message: string): number {
  process.stderr.write(`dockerlab: ${message}\nRun with --help for usage.\n`);
  return EXIT.usage;
}

async function batch(argv: string[]): Promise<number> {
  const { runBatchCommand, runMergeCommand } = await import('./batch/index.js');
  const controller = new AbortController();
  installSignals(controller, () => 'The batch keeps what it graded; run it again to resume. `npm run grade -- --cleanup` removes leftover objects.');
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal, cwd: invocationDir() };
  return argv[0] === 'batch' ? runBatchCommand(argv.slice(1), io) : runMergeCommand(argv.slice(1), io);
}

async function list(lang: Lang | undefined, labsDir: string | undefined): Promise<number> {
  const { listLabIds, loadLabFile, labsDir: defaultLabs } = await import('./spec/load.js');
  const path = await import('node:path');
  const { pick } = await import('./i18n/lang.js');
  const chosen = lang ?? langFromLocale(process.env.LANG) ?? 'fr';
  const dir = labsDir ?? defaultLabs();
  for (const id of listLabIds(dir)) {
    try {
      const lab = loadLabFile(path.join(dir, id, 'lab.json'));
      const points = lab.checks.reduce((s, c) => s + c.points, 0);
      process.stdout.write(`${id}  ${pick(lab.title, chosen)}  (${points} pts, ${lab.checks.length} checks, ${lab.workload.kind})\n`);
    } catch (error) {
      process.stdout.write(`${id}  (invalid lab.json: ${(error as Error).message.split('\n')[0]})\n`);
    }
  }
  return 0;
}

async function validate(ids: string[], labsDir: string | undefined): Promise<number> {
  const { listLabIds, loadLabFile, InvalidSpecError, labsDir: defaultLabs } = await import('./spec/load.js');
  const { resolveLabDir } = await import('./grade.js');
  const path = await import('node:path');
  const dir = labsDir ?? defaultLabs();
  let bad = 0;
  for (const id of ids.length ? ids : listLabIds(dir)) {
    try {
      loadLabFile(path.join(resolveLabDir(id, dir), 'lab.json'));
      process.stdout.write(`✓ ${id}\n`);
    } catch (error) {
      if (!(error instanceof InvalidSpecError)) throw error;
      bad++;
      process.stdout.write(`✗ ${id}\n${error.message.replace(/^/gm, '    ')}\n`);
    }
  }
  return bad ? EXIT.usage : 0;
}

async function cleanup(runtime: import('./engine/index.js').Runtime, all: boolean): Promise<number> {
  const { requireEngine } = await import('./engine/index.js');
  const { countRemoved, removeLabelled, sweepDeadRuns } = await import('./grading/cleanup.js');
  await requireEngine(runtime);
  const removed = all ? await removeLabelled(runtime) : await sweepDeadRuns(runtime);
  // A sandbox profile that failed here is tried again by the next grading (after the admin fixed the machine, say).
  const { ProfileMemory } = await import('./sandbox/index.js');
  new ProfileMemory().forget();
  process.stdout.write(countRemoved(removed) === 0
    ? `nothing to remove${all ? '' : ' (objects of running gradings are kept; --all removes everything labelled)'}\n`
    : `removed ${removed.containers.length} container(s), ${removed.images.length} image(s), ${removed.networks.length} network(s), ${removed.volumes.length} volume(s)\n`);
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
    } else if (name === 'UsageError' || name === 'InvalidSpecError' || name === 'ReporterUsageError') {
      process.stderr.write(`dockerlab: ${name === 'InvalidSpecError' ? 'invalid lab spec:\n' : ''}${message}\n`);
      code = EXIT.usage;
    } else if (name === 'EngineError') {
      process.stderr.write(`dockerlab: Docker engine error: ${message}\n`);
      code = EXIT.noEngine;
    } else {
      process.stderr.write(`dockerlab: internal error: ${message}\n${process.env.DOCKERLAB_DEBUG ? `${(error as Error)?.stack}\n` : 'Set DOCKERLAB_DEBUG=1 for details.\n'}`);
      code = EXIT.internal;
    }
  }
  process.exitCode = code;
  // Nothing of ours should keep the process alive past its answer (sockets of a dead engine, timers).
  setTimeout(() => process.exit(code), 2000).unref();
}

void run();
