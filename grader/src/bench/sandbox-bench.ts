import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createHostRuntime, type Runtime } from '../engine/index.js';
import { DEFAULT_SANDBOX_LIMITS, SUBMISSION_PATH, ensureSandboxImage, openSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';

/**
 * Times the sandbox engine with warm caches (sandbox image and stores built by a
 * first, untimed round) and prints medians:
 * - open + dispose of an empty sandbox;
 * - nginx:1.27 made available inside by each method: pre-seeded store (the default),
 *   `docker save | docker load` at each opening, a registry mirror on the host
 *   (opening, then the lazy pull a student's `docker run nginx` would trigger);
 * - `docker run -d -p 8080:80 nginx:1.27` inside until the first HTTP answer through
 *   sandbox.runtime.http;
 * - lab-01's script graded in a sandbox (open, copy in, run, first HTTP 200, dispose)
 *   against the same containers made directly on the host engine.
 *
 * Run: npx esbuild grader/src/bench/sandbox-bench.ts --bundle --platform=node --format=esm \
 *        --outfile=.dockerlab/sandbox-bench.mjs --external:ssh2 --external:cpu-features \
 *        --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
 *      && node .dockerlab/sandbox-bench.mjs        (BENCH_RUNS=5 by default)
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NGINX = 'nginx:1.27';
const BENCH = `sbxbench${Date.now().toString(36)}`;
let sequence = 0;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function options(host: Runtime, extra: Partial<SandboxOptions> = {}): SandboxOptions {
  const runId = `${BENCH}-${++sequence}`;
  return { host, runId, labels: { dockerlab: '1', 'dockerlab.run': runId, 'dockerlab.lab': 'sandbox-bench' }, limits: { ...DEFAULT_SANDBOX_LIMITS, lifetimeSeconds: 600 }, images: [], ...extra };
}

async function firstAnswer(sandbox: Sandbox, port: number, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await sandbox.runtime.http({ port, path: '/' });
    if (answer.ok && answer.status === 200) return;
    if (Date.now() > deadline) throw new Error(`no HTTP answer on port ${port} inside the sandbox within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function must(sandbox: Sandbox, script: string): Promise<void> {
  const result = await sandbox.exec(['bash', '-c', script], { timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw new Error(`\`${script}\` failed in the sandbox (exit ${result.exitCode}): ${result.output.trim()}`);
}

interface Measure {
  label: string;
  run: () => Promise<Record<string, number>>;
}

/**
 * A registry:2 container on the host holding nginx:1.27. Sandboxes reach it by the
 * alias `dockerlab-mirror` once it joins their network (the host's bridge networks are
 * isolated from each other, so a published port on the default bridge is out of reach).
 */
async function startMirror(host: Runtime): Promise<{ url: string; join: (network: string) => Promise<void>; leave: (network: string) => Promise<void>; stop: () => Promise<void> }> {
  const name = `dockerlab-sandbox-mirror-${BENCH}`;
  const labels = { dockerlab: '1', 'dockerlab.run': `${BENCH}-mirror`, 'dockerlab.sandbox.role': 'mirror' };
  const container = await host.docker.createContainer({
    name,
    Image: 'registry:2',
    Labels: labels,
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, AutoRemove: true },
  });
  const stop = () => container.remove({ force: true }).then(() => undefined, () => undefined);
  try {
    await container.start();
    const port = (await container.inspect()).NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort;
    if (!port) throw new Error('the mirror has no published port');
    const local = `127.0.0.1:${port}/library/nginx:1.27`;
    const env = { ...host.cliEnv };
    for (let i = 0; ; i++) {
      const ping = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status, () => 0);
      if (ping === 200) break;
      if (i > 100) throw new Error('the registry mirror did not answer');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await execa('docker', ['tag', NGINX, local], { env, extendEnv: false });
    const pushStarted = now();
    await execa('docker', ['push', local], { env, extendEnv: false });
    process.stderr.write(`mirror seeded with ${NGINX} (push: ${(now() - pushStarted).toFixed(0)} ms, once)\n`);
    await execa('docker', ['rmi', local], { env, extendEnv: false });
    return {
      url: 'http://dockerlab-mirror:5000',
      join: (network) => host.docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: { Aliases: ['dockerlab-mirror'] } }),
      leave: (network) => host.docker.getNetwork(network).disconnect({ Container: container.id, Force: true }).then(() => undefined, () => undefined),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** lab-01's reference script (labs/lab-01/tests/reference), as a student runs it inside the sandbox. */
const LAB01_SCRIPT = `#!/bin/bash
docker run -d --name mon-serveur -p 8080:80 nginx:1.27
docker run -d --name ancien nginx:1.27
docker stop ancien
`;
const LAB01_ON_HOST = `set -e
docker run -d --name PREFIX-mon-serveur --label LABEL -p 127.0.0.1::80 nginx:1.27 >/dev/null
docker run -d --name PREFIX-ancien --label LABEL nginx:1.27 >/dev/null
docker stop PREFIX-ancien >/dev/null
docker port PREFIX-mon-serveur 80/tcp | head -n1
`;

async function main(): Promise<void> {
  const host = createHostRuntime();
  await ensureSandboxImage(host, (line) => process.stderr.write(`${line}\n`));
  const mirror = await startMirror(host);
  const submission = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-bench-'));
  try {
    writeFileSync(path.join(submission, 'commands.sh'), LAB01_SCRIPT);
    const measures: Measure[] = [
      {
        label: 'empty sandbox',
        run: async () => {
          const t0 = now();
          const sandbox = await openSandbox(options(host));
          const t1 = now();
          await sandbox.dispose();
          return { open: t1 - t0, dispose: now() - t1, total: now() - t0 };
        },
      },
      {
        label: `${NGINX} by pre-seeded store`,
        run: async () => {
          const t0 = now();
          const sandbox = await openSandbox(options(host, { images: [NGINX] }));
          const t1 = now();
          await sandbox.dispose();
          return { open: t1 - t0, dispose: now() - t1 };
        },
      },
      {
        label: `${NGINX} by docker save | docker load`,
        run: async () => {
          const t0 = now();
          const sandbox = await openSandbox(options(host, { images: [NGINX], imageMethod: 'load' }));
          const t1 = now();
          await sandbox.dispose();
          return { open: t1 - t0, dispose: now() - t1 };
        },
      },
      {
        label: `${NGINX} by registry mirror (open, then lazy pull)`,
        run: async () => {
          const t0 = now();
          const sandbox = await openSandbox(options(host, { registryMirror: mirror.url }));
          // Each sandbox has its own network (isolated from the default bridge): the mirror joins it.
          await mirror.join(sandbox.name);
          const t1 = now();
          let t2: number;
          try {
            await must(sandbox, `docker pull -q ${NGINX} >/dev/null`);
            t2 = now();
          } finally {
            await mirror.leave(sandbox.name);
            await sandbox.dispose();
          }
          return { open: t1 - t0, pull: t2 - t1, 'open+pull': t2 - t0 };
        },
      },
      {
        label: `docker run -d -p 8080:80 ${NGINX} inside until the first HTTP answer`,
        run: async () => {
          const sandbox = await openSandbox(options(host, { images: [NGINX] }));
          try {
            const t0 = now();
            await must(sandbox, `docker run -d -p 8080:80 ${NGINX} >/dev/null`);
            const t1 = now();
            await firstAnswer(sandbox, 8080);
            return { 'docker run': t1 - t0, 'first answer': now() - t1, total: now() - t0 };
          } finally {
            await sandbox.dispose();
          }
        },
      },
      {
        label: 'lab-01-like grading in a sandbox (open, copy in, commands.sh, first HTTP 200, dispose)',
        run: async () => {
          const t0 = now();
          const sandbox = await openSandbox(options(host, { images: [NGINX] }));
          try {
            await sandbox.copyIn(submission, SUBMISSION_PATH);
            const result = await sandbox.exec(['bash', 'commands.sh'], { cwd: SUBMISSION_PATH, timeoutMs: 60_000 });
            if (result.exitCode !== 0) throw new Error(`commands.sh failed in the sandbox: ${result.output}`);
            await firstAnswer(sandbox, 8080);
          } finally {
            await sandbox.dispose();
          }
          return { total: now() - t0 };
        },
      },
      {
        label: 'the same script on the host engine (random host port, then removal)',
        run: async () => {
          const t0 = now();
          const prefix = `dockerlab-bench-${BENCH}-${++sequence}`;
          const script = LAB01_ON_HOST.replaceAll('PREFIX', prefix).replaceAll('LABEL', `dockerlab.run=${BENCH}-host`);
          try {
            const started = await execa('bash', ['-c', script], { env: host.cliEnv, extendEnv: false });
            const port = Number(started.stdout.trim().split('\n').pop()?.replace(/.*:/, ''));
            const deadline = Date.now() + 30_000;
            for (;;) {
              const answer = await host.http({ port, path: '/' });
              if (answer.ok && answer.status === 200) break;
              if (Date.now() > deadline) throw new Error('nginx on the host did not answer');
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          } finally {
            await execa('docker', ['rm', '-f', `${prefix}-mon-serveur`, `${prefix}-ancien`], { env: host.cliEnv, extendEnv: false, reject: false });
          }
          return { total: now() - t0 };
        },
      },
    ];
    process.stderr.write('warming up (one untimed round: stores, caches)…\n');
    for (const measure of measures) await measure.run();
    const results = new Map<string, Record<string, number>[]>();
    for (let i = 0; i < RUNS; i++) {
      for (const measure of measures) {
        const sample = await measure.run();
        results.set(measure.label, [...(results.get(measure.label) ?? []), sample]);
        process.stderr.write(`run ${i + 1}/${RUNS} ${measure.label}: ${Object.entries(sample).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}\n`);
      }
    }
    process.stdout.write(`sandbox bench: medians of ${RUNS} runs, warm, load average ${(await loadAverage()).join(' ')}\n`);
    for (const measure of measures) {
      const samples = results.get(measure.label) ?? [];
      const keys = Object.keys(samples[0] ?? {});
      process.stdout.write(`  ${measure.label}: ${keys.map((k) => `${k} ${median(samples.map((s) => s[k]!)).toFixed(0)} ms`).join(', ')}\n`);
    }
  } finally {
    await mirror.stop();
    rmSync(submission, { recursive: true, force: true });
  }
}

async function loadAverage(): Promise<string[]> {
  const os = await import('node:os');
  return os.loadavg().map((v) => v.toFixed(2));
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox-bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
