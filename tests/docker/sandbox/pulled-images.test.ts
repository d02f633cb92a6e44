import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { BaseImages } from '../../../grader/src/build/base-images.js';
import { pollUntil } from '../../../grader/src/lib/poll.js';
import type { Result } from '../../../grader/src/result.js';
import { runtime } from '../../helpers/engine.js';
import { ROOT } from '../../helpers/submissions.js';

/**
 * An image the student picks, that the host engine does not have but can pull: pulled once through the host
 * engine (never by the sandbox itself), then carried into the sandbox; the next grading finds it on the host
 * and pulls nothing. No registry is reachable from this machine, so the registry is a local `registry:2`
 * under a name that is not localhost (the grader leaves localhost references alone: they are the student's
 * own registry, lab-11) and that the engine still treats as insecure-by-default (it resolves to 127.0.0.1).
 */
const PORT = 47051;
const HOST = 'dlt-pull-registry.test';
const REF = `${HOST}:${PORT}/course/tool:1.0`;
const REGISTRY = 'dlt-pull-registry';
const WORK = mkdtempSync(path.join(os.tmpdir(), 'pulled-images-'));
const CLI = path.join(ROOT, 'grader/dist/cli.js');
const HOSTS = '/etc/hosts';
const hostsBefore = readFileSync(HOSTS, 'utf8');
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const quiet = (...args: string[]) => { try { docker(...args); } catch { /* absent */ } };

function writeLab(): string {
  const dir = mkdtempSync(path.join(WORK, 'lab-94-'));
  const lab = { id: 'lab-94', title: { fr: 'Image choisie', en: 'Picked image' }, lang: 'en', workload: { kind: 'script', timeoutSeconds: 90, objects: {}, images: ['busybox:1.36'] }, steps: [{ id: 'completes', kind: 'script-completes', points: 1 }] };
  writeFileSync(path.join(dir, 'lab.json'), JSON.stringify(lab, null, 2));
  return dir;
}

beforeAll(async () => {
  writeFileSync(HOSTS, `${hostsBefore.replace(/\n?$/, '\n')}127.0.0.1 ${HOST}\n`);
  quiet('rm', '-f', REGISTRY);
  await new BaseImages(runtime).ensure(['registry:2', 'busybox:1.36']);
  docker('run', '-d', '--name', REGISTRY, '--label', 'dlt-pull-test=1', '-p', `127.0.0.1:${PORT}:5000`, 'registry:2');
  // Each try bounded: docker-proxy accepts a connection before the registry listens, and that request never ends.
  const up = await pollUntil(() => fetch(`http://127.0.0.1:${PORT}/v2/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false), (ok) => ok, 30_000);
  if (!up.met) throw new Error(`the test's registry:2 did not answer on 127.0.0.1:${PORT} within 30 s`);
  docker('tag', 'busybox:1.36', REF);
  docker('push', REF);
  docker('rmi', REF);
}, 60_000);

afterAll(() => {
  quiet('rm', '-f', REGISTRY);
  quiet('rmi', REF);
  writeFileSync(HOSTS, hostsBefore);
  rmSync(WORK, { recursive: true, force: true });
});

let n = 0;
async function gradeOnce(lab: string, submission: string) {
  const json = path.join(WORK, `r-${n++}.json`);
  const r = await execa('node', [CLI, lab, '--submission', submission, '--lang', 'en', '--reporter', `json=${json}`, '--sandbox', 'required'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } });
  return { exit: r.exitCode, stderr: r.stderr, result: JSON.parse(readFileSync(json, 'utf8')) as Result };
}

describe('an image the student picks, pullable by the host engine', () => {
  it('is pulled once through the host engine and carried into the sandbox; the next grading pulls nothing', async () => {
    const lab = writeLab();
    const submission = mkdtempSync(path.join(WORK, 'sub-'));
    writeFileSync(path.join(submission, 'commands.sh'), `#!/bin/bash\nset -e\ndocker run --rm ${REF} echo picked-image-ran\n`);
    expect(() => docker('image', 'inspect', REF)).toThrow();

    const first = await gradeOnce(lab, submission);
    expect({ exit: first.exit, score: first.result.score }).toEqual({ exit: 0, score: 1 });
    expect(first.stderr).toContain(`pulling ${REF}… (named in the submission)`);
    expect(docker('image', 'inspect', '--format', '{{.Id}}', REF).trim()).toBe(docker('image', 'inspect', '--format', '{{.Id}}', 'busybox:1.36').trim());

    const second = await gradeOnce(lab, submission);
    expect({ exit: second.exit, score: second.result.score }).toEqual({ exit: 0, score: 1 });
    expect(second.stderr).not.toContain('pulling');
  });

  it('one that can be had nowhere: the grading says so, and the report names the image the commands could not get', async () => {
    const lab = writeLab();
    const submission = mkdtempSync(path.join(WORK, 'sub-absent-'));
    const absent = `${HOST}:${PORT}/course/absent:2.0`;
    writeFileSync(path.join(submission, 'commands.sh'), `#!/bin/bash\nset -e\ndocker run --rm ${absent} true\n`);
    const r = await gradeOnce(lab, submission);
    expect(r.stderr).toContain(`${absent}, named in the submission, is not available here`);
    // script-completes grades that the script ends by itself (it does, with docker's exit code 125); the note says why it failed.
    expect(r.result.notes.join('\n')).toContain(`Your commands could not get ${absent}`);
    expect(r.result.notes.join('\n')).toContain('exit code 125');
  });
});
