import { externalBases, finalBase, instructionForParseError, instructionOfStep, parseDockerfile, stageOfStep } from '../../grader/src/dockerfile/parse.js';
import { normalizeImageRef, parseImageRef } from '../../grader/src/lib/image-ref.js';
import { debianEquivalent, isOwnBaseImage, standInFor } from '../../grader/src/build/base-images.js';

describe('parseDockerfile', () => {
  it('joins continuation lines and keeps each instruction line', () => {
    const parsed = parseDockerfile('FROM python:3.11-slim\nRUN apt-get update \\\n  && apt-get install -y curl\nCMD ["python"]\n');
    expect(parsed.instructions.map((i) => [i.keyword, i.line])).toEqual([['FROM', 1], ['RUN', 2], ['CMD', 4]]);
    expect(parsed.instructions[1]?.args).toBe('apt-get update && apt-get install -y curl');
  });

  it('substitutes global ARG defaults in FROM', () => {
    const parsed = parseDockerfile('ARG PY=3.11-slim\nFROM python:${PY}\n');
    expect(finalBase(parsed)).toEqual({ base: 'python:3.11-slim', line: 2 });
  });

  it('follows FROM <stage> chains to the external base', () => {
    const text = 'FROM gcc:12 AS build\nRUN true\nFROM debian:bookworm-slim AS base\nFROM base\nCOPY --from=build /x /x\n';
    const parsed = parseDockerfile(text);
    expect(finalBase(parsed)?.base).toBe('debian:bookworm-slim');
    expect(externalBases(parsed)).toEqual(['gcc:12', 'debian:bookworm-slim']);
  });

  it('reports scratch as no base and never asks to pull it', () => {
    const parsed = parseDockerfile('FROM gcc:12 AS b\nFROM scratch\nCOPY --from=b /a /a\n');
    expect(finalBase(parsed)).toBeNull();
    expect(externalBases(parsed)).toEqual(['gcc:12']);
  });

  it('keeps flags in the arguments and drops comment lines inside continuations', () => {
    const parsed = parseDockerfile('FROM --platform=linux/amd64 gcc:12 AS build\nCOPY --from=build --chown=app /a /b\nRUN apt-get update \\\n# a comment\n  && apt-get install -y curl\n');
    expect(parsed.instructions.map((i) => i.args)).toEqual(['--platform=linux/amd64 gcc:12 AS build', '--from=build --chown=app /a /b', 'apt-get update && apt-get install -y curl']);
    expect(parsed.stages[0]).toMatchObject({ base: 'gcc:12', name: 'build' });
  });
});

describe('the instruction a builder step stands for', () => {
  const parsed = parseDockerfile('ARG V=1\nFROM gcc:12 AS build\nWORKDIR /src\nENV A=1\nCOPY main.cpp  .\nRUN make\nFROM debian:bookworm-slim\nCOPY --from=build /src/app /app\nCMD ["/app"]\n');
  it('classic: "Step N/M" counts every instruction, the global ARG included', () => {
    expect(instructionOfStep(parsed, { builder: 'classic', stage: { index: 0, label: 'build' }, position: 5, instruction: 'COPY main.cpp .', keyword: 'COPY' })?.line).toBe(5);
    // The grader's own LABEL, added after the last instruction.
    expect(instructionOfStep(parsed, { builder: 'classic', stage: { index: 1, label: null }, position: 10, instruction: 'LABEL dockerlab=1', keyword: 'LABEL' })).toBeUndefined();
  });
  it('BuildKit: "[stage i/n]" counts FROM and the filesystem steps of the stage', () => {
    expect(instructionOfStep(parsed, { builder: 'buildkit', stage: { index: null, label: 'build' }, position: 4, instruction: 'RUN make', keyword: 'RUN' })?.line).toBe(6);
    expect(instructionOfStep(parsed, { builder: 'buildkit', stage: { index: 1, label: 'stage-1' }, position: 2, instruction: 'COPY --from=build /src/app /app', keyword: 'COPY' })?.line).toBe(8);
  });
  it('a stage the student named "stage-1" wins over BuildKit\'s numbering', () => {
    const named = parseDockerfile('FROM debian:bookworm-slim AS stage-1\nRUN a\nFROM debian:bookworm-slim\nRUN b\n');
    expect(stageOfStep(named, { index: 1, label: 'stage-1' })).toBe(0);
  });
});

describe('the instruction a line-less parse error is about', () => {
  const parsed = parseDockerfile('FROM debian:bookworm-slim\nENV A=1\nENV APP_HOME\nCOPY onlyone\nCOPY --chmodd=644 a b\n');
  it.each([
    ['ENV must have two arguments', 3],
    ['COPY requires at least two arguments, but only one was provided. Destination could not be determined.', 4],
    ['Unknown flag: chmodd', 5],
  ])('%s', (message, line) => {
    expect(instructionForParseError(parsed, message)?.line).toBe(line);
  });
  it('nothing when the message names no instruction', () => {
    expect(instructionForParseError(parsed, 'file with no instructions')).toBeUndefined();
  });
});

describe('image references', () => {
  it.each([
    ['nginx', { registry: '', repository: 'nginx', tag: null }],
    ['nginx:1.27', { registry: '', repository: 'nginx', tag: '1.27' }],
    ['docker.io/library/nginx:1.27', { registry: '', repository: 'nginx', tag: '1.27' }],
    ['localhost:5000/mon-app:1.0', { registry: 'localhost:5000', repository: 'mon-app', tag: '1.0' }],
    ['python:3.11-slim@sha256:abc', { repository: 'python', tag: '3.11-slim', digest: 'sha256:abc' }],
  ])('%s', (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected);
  });
  it('normalizes an untagged name to latest', () => {
    expect(normalizeImageRef('nginx')).toBe('nginx:latest');
    expect(normalizeImageRef('docker.io/library/python:3.11-slim')).toBe('python:3.11-slim');
  });
});

describe('offline stand-ins', () => {
  it.each([
    ['python:3.11-slim', 'python:3.11-slim'],
    ['python:3.11.9-slim-bookworm', 'python:3.11-slim'],
    ['docker.io/library/nginx', 'nginx:1.27'],
    ['nginx:1.25.3', 'nginx:1.27'],
    ['busybox:1.36.1-glibc', 'busybox:1.36'],
    ['debian:12.7-slim', 'debian:bookworm-slim'],
  ])('%s is served by %s', (ref, image) => {
    expect(standInFor(ref)?.image).toBe(image);
  });
  it.each(['python:3.12-slim', 'python:2.7', 'nginx:1.27-alpine', 'python:3.11-alpine', 'localhost:5000/python:3.11', 'node:20', 'redis:6'])('%s has none of its own', (ref) => {
    expect(standInFor(ref)).toBeUndefined();
  });
  it.each([
    ['nginx:1.27-alpine', 'nginx:1.27'],
    ['nginx:alpine', 'nginx:latest'],
    ['python:3.11-alpine3.20', 'python:3.11'],
    ['nginx:1.27', null],
  ])('the Debian equivalent of %s is %s', (ref, equivalent) => {
    expect(debianEquivalent(ref)).toBe(equivalent);
  });
  // Making these is the machine's one-time set-up (not charged to a grading's deadline); any other image a submission names is pulled on its time.
  it.each([['python:3.11-slim', true], ['nginx:1.27-alpine', true], ['docker.io/library/nginx', true], ['node:20', false], ['tensorflow/tensorflow:latest-gpu', false], ['localhost:5000/python:3.11', false]] as const)(
    '%s is one of the grader\'s own base images: %s', (ref, own) => {
      expect(isOwnBaseImage(ref)).toBe(own);
    });
});
