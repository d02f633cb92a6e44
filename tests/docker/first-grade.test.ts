import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BaseImages } from '../../grader/src/build/base-images.js';
import { grade } from '../../grader/src/grade.js';
import { labelled, runtime } from '../helpers/engine.js';

/**
 * A first grade on a machine that lacks the lab's base image: the grader pulls or builds it then
 * (provisioning no longer makes every image ahead of time), and that one-time work must not count
 * against the lab's deadline. A lab built FROM debian:bookworm-slim with the schema's shortest
 * deadline (10 s), graded after that tag is removed: with no registry, making it again is a
 * debootstrap (about 30 s here, nothing cached), so a grader that charged it to the student would
 * skip the checks past the deadline. On a machine with a registry it is a pull instead.
 */
const BASE = 'debian:bookworm-slim';
const LAB = 'lab-99';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-first-grade-'));
let before: string | undefined;

afterAll(async () => {
  // Whatever happened, the base image is back for the files after this one.
  await new BaseImages(runtime).ensure([BASE]);
  // The image the tag named before, when nothing else uses it (an earlier run of this test made it): not left behind.
  if (before) await runtime.docker.getImage(before).remove().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
  expect(await labelled(LAB)).toEqual({ containers: [], images: [], networks: [], volumes: [] });
});

it('a lab whose base image is missing gets full marks within a 10 s deadline, and the note says the set-up did not count', async () => {
  const labDir = path.join(tmp, 'labs', LAB);
  const submission = path.join(tmp, 'submission');
  mkdirSync(labDir, { recursive: true });
  mkdirSync(submission);
  writeFileSync(path.join(labDir, 'lab.json'), JSON.stringify({
    id: LAB,
    title: 'First grade on a fresh machine',
    timeoutSeconds: 10,
    workload: { kind: 'image', dockerfile: 'Dockerfile' },
    steps: [
      { id: 'builds', kind: 'image-builds', points: 1 },
      { id: 'base', kind: 'image-base', points: 1, repository: 'debian', tagPattern: '^bookworm' },
    ],
  }));
  writeFileSync(path.join(submission, 'Dockerfile'), 'FROM debian:bookworm-slim\nCMD ["sleep", "infinity"]\n');
  before = (await runtime.docker.getImage(BASE).inspect()).Id;
  await runtime.docker.getImage(BASE).remove({ noprune: true });
  await expect(runtime.docker.getImage(BASE).inspect()).rejects.toThrow();

  const result = await grade({ lab: LAB, labsDir: path.join(tmp, 'labs'), submission, runtime, lang: 'en', logsDir: null });

  expect(result.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.status} ${c.message}`)).toEqual([]);
  expect(result.score).toBe(result.maxScore);
  const note = result.notes.find((n) => n.startsWith('This machine was being set up'));
  expect(note).toMatch(/\(\d+ s making images the grader needs once\); that time did not count against the lab's 10 s/);
  const setUpSeconds = Number(/\((\d+) s making/.exec(note!)![1]);
  expect(setUpSeconds).toBeGreaterThanOrEqual(1);
  process.stderr.write(`first grade with ${BASE} missing: ${(result.durationMs / 1000).toFixed(1)} s in all, ${setUpSeconds} s of it making the image (deadline 10 s)\n`);
});
