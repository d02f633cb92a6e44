import { rmSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { assembleCase } from '../spec/cases.js';
import { execa } from 'execa';

/**
 * Grades lab-03's reference solution several times with warm caches and, in the
 * same run, times the raw docker CLI doing the same work with the same builder
 * (the machine's default `docker build`; set DOCKERLAB_BUILDER and DOCKER_BUILDKIT
 * together to compare another); prints both medians and `grader/raw ratio: N`. Then the same
 * for a script lab (scriptLab below).
 */
const ROOT = packageRoot();
const CLI = path.join(ROOT, 'grader/dist/cli.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const RAW = String.raw`
set -euo pipefail
dir=$1; name=bench-raw-$$; tag=bench-raw:$$
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker build -q 2>/dev/null --label dockerlab=1 -t "$tag" "$dir" >/dev/null
docker run -d --name "$name" --label dockerlab=1 -m 512m --cpus 1 --pids-limit 256 -p 127.0.0.1::8080 "$tag" >/dev/null
port=$(docker port "$name" 8080/tcp | head -n1 | sed 's/.*://')
until curl -fsS "http://127.0.0.1:$port/" 2>/dev/null | grep ok >/dev/null; do sleep 0.05; done
docker image inspect -f '{{.Config.User}} {{.Config.Env}} {{.Config.WorkingDir}} {{.Config.Labels}} {{.Config.ExposedPorts}} {{.Config.Cmd}}' "$tag" >/dev/null
docker exec "$name" cat /etc/passwd >/dev/null
docker top "$name" -o pid,uid,args >/dev/null
docker logs "$name" 2>&1 | grep "Serving on port 8080" >/dev/null
docker inspect -f '{{.State.Status}}' "$name" >/dev/null
docker rm -f "$name" >/dev/null
docker rmi --no-prune "$tag" >/dev/null
`;

/** lab-01 by hand: the student's commands.sh on the host engine, then the CLI reads of what the checks look at, then removal. */
const RAW_SCRIPT = String.raw`
set -euo pipefail
dir=$1
trap 'docker rm -f mon-serveur ancien >/dev/null 2>&1 || true' EXIT
(cd "$dir" && bash commands.sh >/dev/null)
docker inspect -f '{{.State.Status}} {{.RestartCount}} {{.Config.Image}}' mon-serveur >/dev/null
docker port mon-serveur 80/tcp >/dev/null
until curl -fsS http://127.0.0.1:8080/ 2>/dev/null | grep 'Welcome to nginx!' >/dev/null; do sleep 0.05; done
docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.Config.Image}}' ancien >/dev/null
docker rm -f mon-serveur ancien >/dev/null
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** A lab's reference as a student's folder (the lab's given files with the case's over them). */
function reference(lab: string): string {
  return assembleCase(path.join(ROOT, 'labs', lab), { name: 'reference', remove: [] });
}

/**
 * The grader (a CLI run printing its JSON result) and the raw commands, each once to warm the
 * caches and then RUNS times in turn: both medians and the median of each stage of the grader's.
 */
async function compare(label: string, grader: () => Promise<{ stdout: string }>, raw: () => Promise<unknown>): Promise<{ graderMs: number; rawMs: number; stages: string }> {
  await raw();
  const graderTimes: number[] = [];
  const rawTimes: number[] = [];
  const stages: Record<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) {
    graderTimes.push(await timed(async () => stages.push((JSON.parse((await grader()).stdout) as { timings?: Record<string, number> }).timings ?? {})));
    rawTimes.push(await timed(raw));
    process.stderr.write(`${label} run ${i + 1}/${RUNS}: grader ${graderTimes[i]!.toFixed(0)} ms, raw ${rawTimes[i]!.toFixed(0)} ms\n`);
  }
  // Where the grader's time goes (the result's timings, median per stage).
  const names = Object.keys(stages[0] ?? {});
  return {
    graderMs: median(graderTimes),
    rawMs: median(rawTimes),
    stages: names.map((n) => `${n} ${median(stages.map((st) => st[n] ?? 0)).toFixed(0)}`).join(', '),
  };
}

async function main(): Promise<void> {
  const dir = reference('lab-03');
  const grader = () => execa('node', [CLI, 'lab-03', '--submission', dir, '--format', 'json', '--quiet']);
  const raw = () => execa('bash', ['-c', RAW, 'raw', dir]);
  try {
    process.stderr.write('warming caches (one run of each)…\n');
    const result = JSON.parse((await grader()).stdout) as { score: number; maxScore: number };
    if (result.score !== result.maxScore) throw new Error(`the reference did not score full marks (${result.score}/${result.maxScore})`);
    const { graderMs: g, rawMs: r, stages } = await compare('lab-03', grader, raw);
    const help: number[] = [];
    for (let i = 0; i < 7; i++) help.push(await timed(() => execa('node', [CLI, '--help'])));
    process.stdout.write(`grade --help start-up median: ${median(help).toFixed(0)} ms (target ≤ 500 ms)\n`);
    process.stdout.write(`grader median: ${g.toFixed(0)} ms over ${RUNS} runs (lab-03 reference, warm caches)\n`);
    process.stdout.write(`raw docker CLI median: ${r.toFixed(0)} ms over ${RUNS} runs (build, run, wait for HTTP, inspect, exec, top, logs, remove)\n`);
    process.stdout.write(`grader/raw ratio: ${(g / r).toFixed(2)}\n`);
    process.stdout.write(`grader stages (median ms): ${stages}\n`);
    await scriptLab();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A script lab: lab-01's reference graded in its sandbox (the default, required) against the same
 * commands run by hand on the host engine plus the CLI reads of the result (RAW_SCRIPT). Target:
 * the grader within 1.5 s of the raw figure (issue 16, goal 1).
 */
async function scriptLab(): Promise<void> {
  const dir = reference('lab-01');
  const grader = () => execa('node', [CLI, 'lab-01', '--submission', dir, '--format', 'json', '--quiet', '--sandbox', 'required']);
  const raw = () => execa('bash', ['-c', RAW_SCRIPT, 'raw', dir]);
  try {
    const first = JSON.parse((await grader()).stdout) as { score: number; maxScore: number; isolation: string };
    if (first.score !== first.maxScore || first.isolation !== 'sandbox') throw new Error(`lab-01's reference: ${first.score}/${first.maxScore} in ${first.isolation}, expected full marks in a sandbox`);
    const { graderMs: g, rawMs: r, stages } = await compare('lab-01', grader, raw);
    process.stdout.write(`script lab (lab-01 reference in its sandbox) grader median: ${g.toFixed(0)} ms; raw (bash commands.sh on the host + CLI reads) median: ${r.toFixed(0)} ms\n`);
    process.stdout.write(`script lab grader - raw: ${((g - r) / 1000).toFixed(2)} s (target ≤ 1.5 s)\n`);
    process.stdout.write(`script lab grader stages (median ms): ${stages}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
