import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import {
  anonymousVolumesOf,
  chooseCompose,
  COMPOSE_FILE_NAMES,
  type ComposeChoice,
  composeChoiceFrom,
  composeCommand,
  type ComposeCommandResult,
  type ComposeFacts,
  composeProblem,
  type ComposeShell,
  findServiceContainer,
  hostComposeShell,
  hostOverride,
  parseComposeModel,
  pickComposeFile,
  removeComposeProject,
  serviceNames,
} from '../compose/index.js';
import { acquireLock, EngineError, type Runtime, UsageError } from '../engine/index.js';
import { format, type Lang } from '../i18n/lang.js';
import { Limits, Port, RelativePath } from '../spec/schema.js';
import { DEFAULT_LIMITS } from './image.js';
import { logFileFor } from './logs.js';
import { invisibleBindMounts, invisibleFilesNote } from './remote-files.js';
import { defineWorkload, type PreparedWorkload, type SandboxShell, type WorkloadContext } from './types.js';

const CONFIG_TIMEOUT_MS = 30_000;
const DOWN_TIMEOUT_MS = 90_000;
const MAX_COMPOSE_FILE_BYTES = 256 * 1024;

const NOTES = {
  en: {
    ran: 'Compose {version} ({versionText}) ran {file} as project "{project}": `{command} up -d --build`.',
    ignored: 'The folder also holds {ignored}: compose uses {file} only (the first of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml), and so does the grader.',
    noFile: 'no compose file in {dir}: the grader looks for {names}',
    hostLimits: 'The project ran on the machine\'s own engine with the grader\'s labels added to its containers, networks, volumes and built images, and, where your file sets none, a limit of {memory} MiB, {cpus} CPU and {pids} processes per container.',
    removed: 'At the end, the grader removed the Compose project "{project}" with its volumes: {list}.',
    fullLog: 'Full compose output: {file}',
  },
  fr: {
    ran: 'Compose {version} ({versionText}) a lancé {file} comme projet « {project} » : `{command} up -d --build`.',
    ignored: 'Le dossier contient aussi {ignored} : compose n’utilise que {file} (le premier de compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml), le correcteur aussi.',
    noFile: 'aucun fichier compose dans {dir} : le correcteur cherche {names}',
    hostLimits: 'Le projet a tourné sur le moteur de la machine, avec les labels du correcteur ajoutés à ses conteneurs, réseaux, volumes et images construites et, là où votre fichier n’en fixe pas, une limite de {memory} Mio, {cpus} CPU et {pids} processus par conteneur.',
    removed: 'À la fin, le correcteur a supprimé le projet Compose « {project} » avec ses volumes : {list}.',
    fullLog: 'Sortie complète de compose : {file}',
  },
} as const satisfies Record<Lang, Record<string, string>>;
type NoteId = keyof typeof NOTES.en;

export const composeWorkload = defineWorkload({
  kind: 'compose',
  example: { kind: 'compose', upTimeoutSeconds: 240, hostPorts: [8080], images: ['nginx:1.27', 'redis:7', 'python:3.11-slim'] },
  description: "Runs the submission's Compose file (compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, the first present) with `up -d --build` under a project name unique to the grading, with Compose v2 (`docker compose`) when present, else v1 (`docker-compose`); DOCKERLAB_COMPOSE=v1|v2 forces one. Checks name services as containers (\"container\": \"web\"). In a throw-away sandbox engine by default; with `--sandbox off`, on the engine itself with the grader's labels and limits added through an override file. The project and its volumes are removed at the end.",
  params: Type.Object({
    directory: Type.Optional(RelativePath('The folder holding the compose file, relative to the submission.', '.')),
    upTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 1800, default: 300, description: 'Time limit of `up -d --build` (builds included) and of a later `up -d`.' })),
    hostPorts: Type.Optional(Type.Array(Port, { default: [], maxItems: 20, description: 'Host ports the task tells the student to publish.' })),
    images: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { default: [], maxItems: 20, description: 'Images the project is expected to use or build from; made available (pulled or stood in) beforehand.' })),
    limits: Type.Optional(Limits),
  }),
  provides: ['compose'],
  operations: ['composeDown', 'composeUp'],
  isolation: 'sandbox',
  images: (w) => w.images ?? [],
  hostPorts: (w) => w.hostPorts ?? [],
  // Any of four names will do, as compose itself chooses.
  deliverable: (w) => COMPOSE_FILE_NAMES.map((name) => path.posix.join(w.directory ?? '.', name)),
  async prepare(workload, ctx): Promise<PreparedWorkload> {
    const note = (id: NoteId, data?: Record<string, unknown>) => format(NOTES[ctx.lang][id], data);
    const dir = workload.directory ?? '.';
    const hostDir = path.join(ctx.submissionDir, dir);
    const cwd = ctx.sandbox ? path.posix.join(ctx.submissionDirInEngine, dir) : hostDir;
    const upTimeoutMs = (workload.upTimeoutSeconds ?? 300) * 1000;
    const choice = composeChoiceOf(ctx);
    const shell = ctx.sandbox ? sandboxComposeShell(ctx.sandbox) : hostComposeShell(ctx.runtime);
    const { file, ignored } = pickComposeFile(COMPOSE_FILE_NAMES.filter((name) => isFile(path.join(hostDir, name))));
    const fileInSubmission = file ? path.posix.join(dir === '.' ? '' : dir, file) : null;
    const fileText = file ? readFileSync(path.join(hostDir, file)).subarray(0, MAX_COMPOSE_FILE_BYTES).toString('utf8') : null;
    const project = ctx.runId.toLowerCase().replace(/[^a-z0-9]/g, '') || 'dockerlab';

    await ctx.ensureImages(workload.images ?? []);
    const { version, versionText } = await chooseCompose(shell, choice, cwd, ctx.sandbox ? 'in the sandbox' : 'on this machine');
    const command = composeCommand(version);
    const notes: string[] = [];
    const logFile = file ? logFileFor(ctx.logsDir, ctx.lab.id, 'compose') : null;
    const factsFor = (up: ComposeCommandResult, services: string[]): ComposeFacts => ({ file: fileInSubmission, ignored, version, versionText, project, services, up, logFile });
    if (!file) {
      const message = note('noFile', { dir: dir === '.' ? ctx.lang === 'fr' ? 'le dossier rendu' : 'the submission folder' : `${dir}/`, names: COMPOSE_FILE_NAMES.join(', ') });
      const up: ComposeCommandResult = { ok: false, exitCode: null, timedOut: false, output: '', durationMs: 0, problem: { kind: 'missing-file', message, line: null } };
      return { facts: { compose: factsFor(up, []) }, unavailable: {}, notes, operations: {}, finish: async () => [] };
    }
    const log = logFile ? createWriteStream(logFile) : null;
    log?.on('error', () => undefined);
    notes.push(note('ran', { version, versionText, file: fileInSubmission, project, command: command.join(' ') }));
    if (ignored.length) notes.push(note('ignored', { file, ignored: ignored.join(', ') }));

    // On the machine's own engine: one grading of the lab at a time (fixed host ports), and labels through an override file.
    let release: (() => void) | null = null;
    let overrideDir: string | null = null;
    const tracked = new Set<string>();
    let services: string[] = [];
    const finish = async (): Promise<string[]> => {
      try {
        if (ctx.sandbox) return [];
        for (const name of await anonymousVolumesOf(ctx.runtime, project).catch(() => [])) tracked.add(name);
        const { removed, problems } = await removeComposeProject(ctx.runtime, project, { services, extraVolumes: [...tracked] });
        return [
          ...(removed.length ? [note('removed', { project, list: removed.join(', ') })] : []),
          ...(problems.length ? [`cleanup: ${problems.join('; ')}`] : []),
        ];
      } finally {
        log?.end();
        if (overrideDir) rmSync(overrideDir, { recursive: true, force: true });
        release?.();
      }
    };
    try {
      if (!ctx.sandbox) {
        release = await acquireLock(ctx.lab.id, { onWait: (owner) => ctx.progress(`waiting for ${owner}, which is grading ${ctx.lab.id} on this engine…`) });
        for (const port of workload.hostPorts ?? []) await requireFreeHostPort(ctx.runtime, port);
      }
      const files = ['-f', file];
      // A failing `config` means compose refused the file; any other command failed while running.
      const run = async (args: string[], timeoutMs: number, what: string, failure: 'invalid' | 'failed' = 'failed'): Promise<ComposeCommandResult> => {
        const argv = [...command, '--ansi', 'never', '-p', project, ...files, ...args];
        log?.write(`$ ${argv.join(' ')}\n`);
        ctx.progress(`${what}…`);
        const started = Date.now();
        const result = await shell.run(argv, { cwd, timeoutMs, signal: ctx.signal, ...(log ? { onOutput: (chunk: string) => log.write(chunk) } : {}) });
        log?.write(`\n[exit ${result.timedOut ? 'timeout' : result.exitCode}]\n`);
        const ok = !result.timedOut && result.exitCode === 0;
        const problem = ok ? null : result.timedOut ? { kind: 'timeout' as const, message: `${what}: no end within ${Math.round(timeoutMs / 1000)} s\n${composeProblem(result.output, fileText, 'timeout').message}`, line: null } : composeProblem(result.output, fileText, failure);
        return { ok, exitCode: result.exitCode, timedOut: result.timedOut, output: result.output, durationMs: Date.now() - started, problem };
      };

      const config = await run(['config'], CONFIG_TIMEOUT_MS, 'compose config', 'invalid');
      if (!config.ok) {
        if (logFile) notes.push(note('fullLog', { file: logFile }));
        return { facts: { compose: factsFor(config, []) }, unavailable: {}, notes, operations: {}, finish };
      }
      const model = parseComposeModel(config.output);
      services = serviceNames(model);
      if (!ctx.sandbox) {
        if (!model) throw new EngineError(`compose config printed a model the grader cannot read, so it cannot label the project's objects; output:\n${config.output.slice(-2000)}`);
        const limits = { ...DEFAULT_LIMITS, ...workload.limits };
        overrideDir = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-compose-'));
        const overrideFile = path.join(overrideDir, 'dockerlab-override.json');
        writeFileSync(overrideFile, JSON.stringify(hostOverride(model, ctx.labels, limits), null, 2));
        files.push('-f', overrideFile);
        notes.push(note('hostLimits', { memory: limits.memoryMiB, cpus: limits.cpus, pids: limits.pids }));
      }
      const up = await run(['up', '-d', '--build'], upTimeoutMs, `compose up -d --build (Compose ${version})`);
      if (!ctx.sandbox) {
        const unseen = await invisibleBindMounts(ctx.runtime, ctx.runId, ctx.submissionDir);
        if (unseen.length) notes.push(invisibleFilesNote(ctx.lang, ctx.runtime, ctx.submissionDir, unseen));
      }
      if (!up.ok && logFile) notes.push(note('fullLog', { file: logFile }));
      const operations: PreparedWorkload['operations'] = {
        composeDown: async () => {
          // `down` leaves anonymous volumes behind and the next `up` makes new ones: note them to remove them at the end.
          for (const name of await anonymousVolumesOf(ctx.runtime, project).catch(() => [])) tracked.add(name);
          return run(['down'], DOWN_TIMEOUT_MS, 'compose down');
        },
        composeUp: () => run(['up', '-d'], upTimeoutMs, 'compose up -d'),
      };
      return {
        facts: { compose: factsFor(up, services) },
        unavailable: {},
        notes,
        operations,
        findContainer: (name) => findServiceContainer(ctx.runtime, project, name),
        finish,
      };
    } catch (error) {
      await finish().catch(() => undefined);
      throw error;
    }
  },
});

/** The Compose version asked for: the grading's option when the grader passes one, else DOCKERLAB_COMPOSE, else auto. */
function composeChoiceOf(ctx: WorkloadContext): ComposeChoice {
  const given = ctx.compose ?? process.env.DOCKERLAB_COMPOSE;
  if (given === undefined || given.trim() === '') return 'auto';
  const choice = composeChoiceFrom(given);
  if (!choice) throw new UsageError(`DOCKERLAB_COMPOSE / --compose is "${given}": give v1 (docker-compose), v2 (docker compose) or auto`);
  return choice;
}

/** Compose run inside the sandbox, where the student's commands run, against its engine. */
function sandboxComposeShell(sandbox: SandboxShell): ComposeShell {
  return {
    async run(argv, { cwd, timeoutMs, signal, onOutput }) {
      const result = await sandbox.exec(argv, { cwd, timeoutMs, maxOutputBytes: 64 * 1024, env: { COMPOSE_ANSI: 'never' }, ...(signal ? { signal } : {}), ...(onOutput ? { onOutput } : {}) });
      return { exitCode: result.exitCode, output: result.output, timedOut: result.timedOut };
    },
  };
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

/** A host port the task names must be free, or compose's port binding would fail for reasons that are not the student's. */
async function requireFreeHostPort(runtime: Runtime, port: number): Promise<void> {
  // On a remote engine the port is that machine's: only its containers can be asked.
  const free = runtime.remote ? false : await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (free) return;
  const holders = await runtime.docker.listContainers({ filters: JSON.stringify({ publish: [String(port)] }) });
  if (runtime.remote && holders.length === 0) return;
  const who = holders.length ? `container ${holders.map((c) => c.Names[0]?.replace(/^\//, '')).join(', ')}` : 'another program';
  throw new UsageError(`host port ${port}, which this lab asks you to publish, is already used by ${who}. Stop it (docker rm -f …, docker compose down) and grade again.`);
}

