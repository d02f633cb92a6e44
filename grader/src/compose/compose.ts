import { execa } from 'execa';
import { EngineContainer, EngineError, isNotFound, messageOf, type Runtime, UsageError } from '../engine/index.js';

/** Compose v1 is the Python `docker-compose` (1.29 on Debian bookworm); v2 the `docker compose` CLI plugin. */
export type ComposeVersion = 'v1' | 'v2';
export type ComposeChoice = ComposeVersion | 'auto';

/** `DOCKERLAB_COMPOSE` and `--compose` accept v1, v2 or auto; anything else is refused where it is read. */
export function composeChoiceFrom(value: string | undefined): ComposeChoice | undefined {
  const clean = value?.trim().toLowerCase();
  return clean === 'v1' || clean === 'v2' || clean === 'auto' ? clean : undefined;
}

/** The names compose looks for, in the order `docker compose` prefers them. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** The labels compose puts on what it creates (both versions). */
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';
export const ONEOFF_LABEL = 'com.docker.compose.oneoff';
export const VOLUME_KEY_LABEL = 'com.docker.compose.volume';
export const NETWORK_KEY_LABEL = 'com.docker.compose.network';

/** What compose said when a command failed: its own words, and the file's line when it gives one (or the grader can find it). */
export interface ComposeProblem {
  /** `missing-file`: no compose file; `invalid`: compose refused the file; `failed`: the command ran and failed; `timeout`. */
  kind: 'missing-file' | 'invalid' | 'failed' | 'timeout';
  message: string;
  line: number | null;
}

/** One compose command as it ran. */
export interface ComposeCommandResult {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The end of its output (both streams). */
  output: string;
  durationMs: number;
  problem: ComposeProblem | null;
}

/** What the Compose workload produced: which file and version, and how `up -d --build` went. */
export interface ComposeFacts {
  /** The compose file used, relative to the submission; null when there is none. */
  file: string | null;
  /** Other compose files of the folder, not used (compose would not use them either). */
  ignored: string[];
  version: ComposeVersion;
  /** `2.26.1`, `1.29.2`. */
  versionText: string;
  project: string;
  /** The services the file declares (empty when compose refused it). */
  services: string[];
  up: ComposeCommandResult;
  /** Where the full output of compose went, or null. */
  logFile: string | null;
}

/** Where compose runs: in the sandbox (where the student's commands run) or on the grader's machine. */
export interface ComposeShell {
  run(argv: string[], options: { cwd: string; timeoutMs: number; signal?: AbortSignal; onOutput?: (chunk: string) => void }): Promise<{ exitCode: number | null; output: string; timedOut: boolean }>;
}

/** The machine's own compose, talking to `runtime` through the docker CLI's environment. */
export function hostComposeShell(runtime: Runtime): ComposeShell {
  return {
    async run(argv, { cwd, timeoutMs, signal, onOutput }) {
      const child = execa(argv[0]!, argv.slice(1), {
        cwd,
        env: { ...runtime.cliEnv, COMPOSE_ANSI: 'never' },
        extendEnv: false,
        reject: false,
        all: true,
        stdin: 'ignore',
        timeout: timeoutMs,
        forceKillAfterDelay: 2000,
        maxBuffer: 8 * 1024 * 1024,
        ...(signal ? { cancelSignal: signal } : {}),
      });
      if (onOutput) child.all?.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8')));
      const result = await child;
      const output = typeof result.all === 'string' ? result.all : '';
      if (result.failed && result.exitCode === undefined && !result.timedOut && !result.isCanceled) {
        // Not started at all (ENOENT…): say which program.
        return { exitCode: null, output: `${output}\n${result.shortMessage}`.trim(), timedOut: false };
      }
      return { exitCode: result.exitCode ?? null, output: output.slice(-64 * 1024), timedOut: !!result.timedOut };
    },
  };
}

/** The argv prefix of each version. */
export function composeCommand(version: ComposeVersion): string[] {
  return version === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
}

/**
 * The Compose to use where `shell` runs: v2 when present, else v1, unless one is
 * forced. A forced version that is missing, or none at all, is a usage problem of
 * the machine, not the student's.
 */
export async function chooseCompose(shell: ComposeShell, choice: ComposeChoice, cwd: string, where: string): Promise<{ version: ComposeVersion; versionText: string }> {
  const probe = async (version: ComposeVersion) => {
    const result = await shell.run([...composeCommand(version), 'version', '--short'], { cwd, timeoutMs: 20_000 }).catch(() => null);
    const text = result?.exitCode === 0 ? result.output.trim().split('\n').pop()?.trim() ?? '' : null;
    return text ? text.replace(/^v/, '') : null;
  };
  const order: ComposeVersion[] = choice === 'auto' ? ['v2', 'v1'] : [choice];
  for (const version of order) {
    const text = await probe(version);
    if (text) return { version, versionText: text };
  }
  if (choice === 'auto') {
    throw new UsageError(`neither Compose v2 (\`docker compose\`) nor Compose v1 (\`docker-compose\`) is installed ${where}. Install one (on Debian: apt-get install docker-compose, or the docker-compose-plugin / trixie's docker-compose package), then grade again.`);
  }
  const name = choice === 'v2' ? 'Compose v2 (`docker compose`)' : 'Compose v1 (`docker-compose`)';
  throw new UsageError(`${name} was asked for (DOCKERLAB_COMPOSE=${choice} or --compose ${choice}) but is not installed ${where}. Install it, or ask for the other version (or auto).`);
}

/** The compose file to use among those present: the first in compose's own order. */
export function pickComposeFile(present: readonly string[]): { file: string | null; ignored: string[] } {
  const found = COMPOSE_FILE_NAMES.filter((name) => present.includes(name));
  return { file: found[0] ?? null, ignored: found.slice(1) };
}

/** Lines of compose's output that only report progress or warnings, not the failure. */
const NOISE = [
  /^\s*$/,
  /^time="[^"]*" level=warning/,
  /^WARN\[\d+\]/,
  /^\s*(Network|Volume|Container|Image)\s+\S+\s+(Creating|Created|Starting|Started|Stopping|Stopped|Removing|Removed|Waiting|Healthy|Recreate|Recreated|Running|Building|Built|Pulling|Pulled)\s*$/,
  /^(Creating|Starting|Stopping|Removing|Recreating)\s.*(done|\.\.\.)\s*$/,
  /^\s*\[\+\] (Running|Building) /,
];

/**
 * What went wrong, read from compose's output: its own error lines (progress and
 * warnings left out), and the file's line when compose names one (`yaml: line 4:`,
 * `line 4, column 11`) or when it names a property the grader can find in the file.
 */
export function composeProblem(output: string, fileText: string | null, kind: ComposeProblem['kind']): ComposeProblem {
  const lines = output.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
  const meaningful = lines.filter((l) => !NOISE.some((re) => re.test(l)));
  const message = meaningful.slice(-12).join('\n').trim() || lines.filter(Boolean).slice(-5).join('\n').trim();
  return { kind, message, line: problemLine(message, fileText) };
}

function problemLine(message: string, fileText: string | null): number | null {
  const stated = /\byaml: line (\d+)\b/.exec(message) ?? /\bline (\d+), column \d+/.exec(message);
  if (stated) return Number(stated[1]);
  if (!fileText) return null;
  // v2: "services.web Additional property portz is not allowed", "services.web.ports must be a list";
  // v1: "Unsupported config option for services.web: 'portz'", "services.web.ports contains an invalid type".
  const v2Extra = /services\.([\w.-]+) Additional property (\S+) is not allowed/.exec(message);
  const v1Extra = /Unsupported config option for services\.([\w.-]+): '([^']+)'/.exec(message);
  const invalid = /services\.([\w-]+)\.(\w+) (?:must be|contains|is invalid|has)/.exec(message);
  const [, service, key] = v2Extra ?? v1Extra ?? invalid ?? [];
  return service && key ? keyLine(fileText, service, key) : null;
}

/** The 1-based line of `key:` in the block of service `service` (a direct child of the top-level `services:`), else of the service itself. */
function keyLine(fileText: string, service: string, key: string): number | null {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lines = fileText.split('\n');
  const indentOf = (line: string) => /^\s*/.exec(line)![0].length;
  const meaningful = (line: string) => line.trim() !== '' && !line.trim().startsWith('#');
  const top = lines.findIndex((l) => /^services\s*:/.test(l));
  if (top < 0) return null;
  const firstChild = lines.slice(top + 1).find(meaningful);
  if (!firstChild || indentOf(firstChild) === 0) return null;
  const childIndent = indentOf(firstChild);
  const serviceRe = new RegExp(`^\\s{${childIndent}}["']?${escape(service)}["']?\\s*:`);
  let start = -1;
  for (let i = top + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!meaningful(line)) continue;
    if (indentOf(line) === 0) break;
    if (indentOf(line) === childIndent && serviceRe.test(line)) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  const keyRe = new RegExp(`^\\s+["']?${escape(key)}["']?\\s*:`);
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!meaningful(line)) continue;
    if (indentOf(line) <= childIndent) break;
    if (keyRe.test(line)) return i + 1;
  }
  return start + 1;
}

/** The container compose made for a service of a project (a running one first; one-off `run` containers left out); null when there is none. */
export async function findServiceContainer(runtime: Runtime, project: string, service: string): Promise<EngineContainer | null> {
  let list;
  try {
    list = await runtime.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`, `${SERVICE_LABEL}=${service}`] }) });
  } catch (error) {
    throw new EngineError(`could not list the containers of the Compose project ${project}: ${messageOf(error)}`, undefined, { cause: error });
  }
  const candidates = list.filter((c) => !/^true$/i.test(c.Labels?.[ONEOFF_LABEL] ?? ''));
  const number = (c: (typeof candidates)[number]) => Number(c.Labels?.['com.docker.compose.container-number'] ?? 99);
  candidates.sort((a, b) => Number(b.State === 'running') - Number(a.State === 'running') || number(a) - number(b));
  const chosen = candidates[0];
  return chosen ? new EngineContainer(runtime, service, chosen.Id) : null;
}

/**
 * Volumes mounted by the project's containers that compose does not own (anonymous
 * ones, from an image's VOLUME such as redis:7's /data): `down` leaves them behind,
 * and the next `up` makes new ones, so the grader notes them to remove them at the end.
 */
export async function anonymousVolumesOf(runtime: Runtime, project: string): Promise<string[]> {
  const list = await runtime.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] }) });
  const names = new Set<string>();
  for (const c of list) {
    for (const m of c.Mounts ?? []) {
      if (m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name)) names.add(m.Name);
    }
  }
  return [...names];
}

/**
 * Removes everything of a Compose project through the engine's API, by compose's
 * labels and image names — no compose file needed, so it works after an
 * interrupted `up` or with a file compose refuses: containers (with their anonymous
 * volumes), networks, named volumes, the images compose built, and anonymous
 * volumes of containers an earlier `down` removed. Returns what it removed.
 */
export async function removeComposeProject(runtime: Runtime, project: string, { services, extraVolumes }: { services: string[]; extraVolumes: string[] }): Promise<{ removed: string[]; problems: string[] }> {
  const d = runtime.docker;
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
  const removed: string[] = [];
  const problems: string[] = [];
  const attempt = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
      removed.push(what);
    } catch (error) {
      if (!isNotFound(error)) problems.push(`${what}: ${messageOf(error)}`);
    }
  };
  const containers = await d.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => attempt(`container ${c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12)}`, () => d.getContainer(c.Id).remove({ force: true, v: true }))));
  const [networks, volumes] = await Promise.all([d.listNetworks({ filters }), d.listVolumes({ filters })]);
  await Promise.all([
    ...networks.map((n) => attempt(`network ${n.Name}`, () => d.getNetwork(n.Id).remove())),
    ...(volumes.Volumes ?? []).map((v) => attempt(`volume ${v.Name}`, () => d.getVolume(v.Name).remove({ force: true }))),
    ...extraVolumes.map((name) => attempt(`volume ${name.slice(0, 12)}…`, () => d.getVolume(name).remove({ force: true }))),
  ]);
  // v1 names built images project_service, v2 project-service.
  for (const service of services) {
    for (const ref of [`${project}-${service}`, `${project}_${service}`]) {
      await attempt(`image ${ref}`, () => d.getImage(ref).remove({ force: true, noprune: true }));
    }
  }
  return { removed, problems };
}
