import { externalBases, finalBase, instructionForStep, parseDockerfile } from '../../grader/src/dockerfile/parse.js';
import { describeFailure } from '../../grader/src/engine/build.js';
import { normalizeImageRef, parseImageRef } from '../../grader/src/engine/image-ref.js';
import { debianEquivalent, standInFor } from '../../grader/src/engine/base-images.js';

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

  it('finds the instruction a classic-builder step names', () => {
    const parsed = parseDockerfile('FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py  /app/\n');
    expect(instructionForStep(parsed, 3, 'COPY app.py /app/')?.line).toBe(3);
  });
});

describe('describeFailure', () => {
  const parsed = parseDockerfile('FROM python:3.11-slim\nWORKDIR /app\nRUN pip instal flask\nCMD ["python"]\n');
  it('names the failing RUN step, its line and the builder reason', () => {
    const output = 'Step 1/4 : FROM python:3.11-slim\n ---> abc\nStep 2/4 : WORKDIR /app\n ---> def\nStep 3/4 : RUN pip instal flask\n ---> Running in 1\nERROR: unknown command "instal"\nThe command \'/bin/sh -c pip instal flask\' returned a non-zero code: 1\n';
    expect(describeFailure(output, parsed)).toEqual({ step: 3, instruction: 'RUN pip instal flask', line: 3, reason: "The command '/bin/sh -c pip instal flask' returned a non-zero code: 1" });
  });
  it('reads a parse error line', () => {
    expect(describeFailure('Error response from daemon: dockerfile parse error line 3: unknown instruction: RUNN', parsed)).toMatchObject({ line: 3, reason: expect.stringContaining('unknown instruction') });
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
});
