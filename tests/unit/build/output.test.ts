import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuildOutputParser, classifyReason, detectBuilder, displayLine, parseBuildOutput, type BuildOutputBuilder } from '../../../grader/src/build/output.js';
import { describeBuild } from '../../../grader/src/build/build.js';
import { parseDockerfile } from '../../../grader/src/dockerfile/parse.js';

/** Real outputs of both builders, captured by tests/fixtures/build-output/capture.sh on this project's engine (Docker 20.10, buildx 0.13). */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'build-output');
const BUILDERS: BuildOutputBuilder[] = ['classic', 'buildkit'];

function fixture(scenario: string, builder: BuildOutputBuilder, file = `${builder}.txt`) {
  const output = readFileSync(path.join(FIXTURES, scenario, file), 'utf8');
  const dockerfile = parseDockerfile(readFileSync(path.join(FIXTURES, scenario, 'context', 'Dockerfile'), 'utf8'));
  const parsed = parseBuildOutput(builder, output);
  return { output, parsed, ...describeBuild(parsed, dockerfile) };
}

describe.each(BUILDERS)('%s builder output', (builder) => {
  it('is recognised as its own', () => {
    expect(detectBuilder(fixture('failing-run', builder).output)).toBe(builder);
  });

  it('a first build: every layer step built, none from the cache, in Dockerfile order', () => {
    const { parsed, steps, failure } = fixture('cache-after-edit', builder, `first.${builder}.txt`);
    expect(parsed.succeeded).toBe(true);
    expect(failure).toBeNull();
    expect(steps.map((s) => [s.line, s.instruction.split(' ')[0], s.cached])).toEqual([
      [2, 'WORKDIR', false],
      [3, 'COPY', false],
      [4, 'RUN', false],
      [6, 'COPY', false],
      [7, 'RUN', false],
    ]);
  });

  it('after the grader edits app.py: the steps before its COPY come from the cache, the ones from it on do not', () => {
    const { parsed, steps } = fixture('cache-after-edit', builder);
    expect(parsed.succeeded).toBe(true);
    expect(steps.map((s) => [s.index, s.stage, s.line, s.cached])).toEqual([
      [1, 0, 2, true],
      [2, 0, 3, true],
      [3, 0, 4, true],
      [4, 0, 6, false],
      [5, 0, 7, false],
    ]);
    // The multi-line RUN is named as written, continuation lines joined.
    expect(steps[2]!.instruction).toBe('RUN echo "installing $(wc -l < requirements.txt) requirements" && cp requirements.txt /app/installed.txt');
  });

  it('a failing RUN: its line, the exit code, the builder reason and the step’s own last lines', () => {
    const { steps, failure } = fixture('failing-run', builder);
    expect(failure).toMatchObject({ kind: 'command', exitCode: 1, line: 4, stage: 0, instruction: expect.stringMatching(/^RUN echo "Collecting flaskk"/) });
    expect(failure!.reason).toMatch(builder === 'classic' ? /^The command '\/bin\/sh -c echo "Collecting flaskk".*returned a non-zero code: 1$/ : /^executor failed running \[\/bin\/sh -c echo "Collecting flaskk".*\]: exit code: 1$/);
    expect(failure!.output).toEqual(expect.arrayContaining(['Collecting flaskk', 'ERROR: No matching distribution found for flaskk']));
    // Nothing of the previous step, the builder's bookkeeping or colours.
    expect(failure!.output.join('\n')).not.toMatch(/preparing|Removing intermediate|--->|\x1b/);
    expect(steps[failure!.step! - 1]).toMatchObject({ line: 4, cached: false });
  });

  it('a failing exec-form RUN', () => {
    const { failure } = fixture('failing-run-exec-form', builder);
    expect(failure).toMatchObject({ kind: 'command', exitCode: 3, line: 2, instruction: expect.stringContaining('RUN ["sh", "-c"') });
    expect(failure!.output).toEqual(expect.arrayContaining(['checking', 'config.ini missing']));
  });

  it('a COPY whose source is excluded by .dockerignore', () => {
    const { failure } = fixture('missing-copy-source', builder);
    expect(failure).toMatchObject({ kind: 'missing-source', line: 4, instruction: 'COPY app.py ./' });
    expect(failure!.path!.replace(/^\//, '')).toBe('app.py');
    expect(failure!.reason).toMatch(builder === 'classic' ? /^COPY failed: file not found in build context or excluded by \.dockerignore/ : /^failed to compute cache key: "\/app.py" not found/);
  });

  it('COPY --from a path the named stage does not have', () => {
    const { failure } = fixture('copy-from-missing-path', builder);
    expect(failure).toMatchObject({ kind: 'missing-source', line: 4, stage: 1, instruction: 'COPY --from=build /opt/app/hello /usr/local/bin/hello' });
    expect(failure!.path!.replace(/^\//, '')).toBe('opt/app/hello');
  });

  it('an instruction the builder cannot parse (no line in its message): the line is found from the message', () => {
    const { failure, steps } = fixture('parse-error', builder);
    expect(steps).toEqual([]);
    expect(failure).toMatchObject({ kind: 'syntax', reason: 'ENV must have two arguments', line: 3, instruction: 'ENV APP_HOME' });
  });

  it('an unknown instruction', () => {
    const { failure } = fixture('unknown-instruction', builder);
    expect(failure).toMatchObject({ kind: 'unknown-instruction', word: 'COPPY', line: 3, instruction: 'COPPY app.py /app/' });
    expect(failure!.reason).toBe('dockerfile parse error line 3: unknown instruction: COPPY');
  });

  it('a base image that cannot be had', () => {
    const { failure } = fixture('missing-base-image', builder);
    expect(failure).toMatchObject({ kind: 'base-image', image: 'hbld-no-such-image/python:3.12-slim', line: 1, stage: 0 });
    expect(failure!.reason).toMatch(/registry-1\.docker\.io.*no such host/);
  });

  it('a failure in a named stage of a multi-stage build (global ARG before the first FROM)', () => {
    const { failure, steps } = fixture('multi-stage-named', builder);
    expect(failure).toMatchObject({ kind: 'command', exitCode: 1, stage: 0, line: 5, instruction: 'RUN g++ -O2 -static -o hello main.cpp' });
    expect(failure!.output).toContain("main.cpp:3:47: error: expected ';' before 'return'");
    expect(steps.filter((s) => s.stage === 0).map((s) => s.line)).toEqual([3, 4, 5]);
  });

  it('a multi-stage success: stages by index (unnamed) and by name', () => {
    const { parsed, steps, failure } = fixture('multi-stage-success', builder);
    expect(parsed.succeeded).toBe(true);
    expect(failure).toBeNull();
    expect(steps.map((s) => [s.stage, s.line])).toEqual([
      [0, 2],
      [0, 3],
      [0, 4],
      [1, 6],
      [1, 7],
    ]);
  });
});

describe('both builders give the same facts', () => {
  it.each(['cache-after-edit', 'failing-run', 'failing-run-exec-form', 'missing-copy-source', 'copy-from-missing-path', 'parse-error', 'unknown-instruction', 'missing-base-image', 'multi-stage-named', 'multi-stage-success'])('%s', (scenario) => {
    const [classic, buildkit] = BUILDERS.map((b) => fixture(scenario, b));
    // The captures other than cache-after-edit were made with --no-cache, which BuildKit 0.8 does not apply to WORKDIR: compare cache states only where the cache is the point.
    const same = (f: ReturnType<typeof fixture>) => ({
      steps: scenario === 'cache-after-edit' ? f.steps : f.steps.map(({ cached: _, ...rest }) => rest),
      failure: f.failure && { kind: f.failure.kind, line: f.failure.line, stage: f.failure.stage, instruction: f.failure.instruction, exitCode: f.failure.exitCode, step: f.failure.step, word: f.failure.word, output: [...f.failure.output].sort() },
    });
    expect(same(buildkit!)).toEqual(same(classic!));
  });
});

describe('the classic builder', () => {
  it('records the images it committed and the containers it ran, not those reused from the cache', () => {
    const first = fixture('cache-after-edit', 'classic', 'first.classic.txt').parsed;
    const second = fixture('cache-after-edit', 'classic').parsed;
    // WORKDIR, COPY, RUN, COPY, RUN, ENV, EXPOSE, CMD and the grader's LABEL.
    expect(first.committedImages).toHaveLength(9);
    expect(second.committedImages).toHaveLength(6);
    expect(second.committedImages).not.toContain('1df67b4c1220');
    expect(second.steps.find((s) => s.position === 4)).toMatchObject({ cached: true, imageId: '1df67b4c1220' });
    expect(first.containers).toHaveLength(7);
  });

  it('reads errors from stderr when the streams come apart', () => {
    const parser = new BuildOutputParser('classic');
    parser.write('Step 1/2 : FROM hbld-none:1\n', 'stdout');
    parser.write('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host\n', 'stderr');
    const out = parser.end();
    expect(out.failure).toMatchObject({ kind: 'base-image', image: 'hbld-none:1', reason: expect.stringContaining('no such host') });
  });

  it('a killed build has steps but no failure', () => {
    const out = parseBuildOutput('classic', 'Step 1/3 : FROM debian:bookworm-slim\n ---> 6cb00560a75e\nStep 2/3 : RUN sleep 100\n ---> Running in 0123456789ab\n');
    expect(out.failure).toBeNull();
    expect(out.steps.map((s) => s.state)).toEqual(['done', 'started']);
    expect(out.containers).toEqual(['0123456789ab']);
  });
});

describe('bounded reading', () => {
  it('keeps only the last lines of a step that prints a lot, fed in odd-sized chunks', () => {
    const parser = new BuildOutputParser('classic');
    parser.write('Step 1/2 : FROM debian:bookworm-slim\n ---> 6cb00560a75e\nStep 2/2 : RUN yes | head\n ---> Running in 0123456789ab\n');
    const block = 'y\n'.repeat(50_000);
    for (let i = 0; i < 200; i++) parser.write(i === 199 ? `${block}last line\n` : block.slice(0, 99_997) + block.slice(99_997));
    parser.write('Removing intermediate container 0123456789ab\n ---> abcdefabcdef\nSuccessfully built abcdefabcdef\n');
    const out = parser.end();
    expect(out.succeeded).toBe(true);
    expect(out.steps[1]!.output).toHaveLength(20);
    expect(out.steps[1]!.output[19]).toBe('last line');
  });

  it('cuts a line that never ends (a gigabyte without a newline) and goes on after it', () => {
    const parser = new BuildOutputParser('classic', { maxLineLength: 100 });
    parser.write('Step 1/1 : RUN head -c 1G /dev/zero | tr "\\0" x\n ---> Running in 0123456789ab\n');
    for (let i = 0; i < 100; i++) parser.write('x'.repeat(10_000));
    parser.write('\nafter\n');
    const out = parser.end();
    expect(out.steps[0]!.output).toEqual([`${'x'.repeat(100)} […]`, 'after']);
  });

  it('BuildKit: repeated headers, interleaved steps, clipped logs', () => {
    const text = [
      '#5 [a 2/2] RUN one',
      '#6 [b 2/2] RUN two',
      '#5 0.1 from one',
      '#6 0.1 from two',
      '#5 ...',
      '#5 [a 2/2] RUN one',
      '#5 0.2 [output clipped, log limit 1MiB reached]',
      '#5 DONE 0.3s',
      '#6 ERROR: executor failed running [/bin/sh -c two]: exit code: 4',
      'ERROR: failed to solve: executor failed running [/bin/sh -c two]: exit code: 4',
    ].join('\n');
    const out = parseBuildOutput('buildkit', text);
    expect(out.steps.map((s) => [s.stage.label, s.instruction, s.state])).toEqual([
      ['a', 'RUN one', 'done'],
      ['b', 'RUN two', 'failed'],
    ]);
    expect(out.steps[0]!.output).toEqual(['from one', '[output clipped, log limit 1MiB reached]']);
    expect(out.failure).toMatchObject({ kind: 'command', exitCode: 4, step: { instruction: 'RUN two' } });
  });
});

describe('newer BuildKit (Docker 28, as on GitHub runners)', () => {
  // Written after BuildKit 0.2x's plain progress (no engine of that version here): source excerpt, lint warnings, new wordings.
  const dockerfile = parseDockerfile('FROM busybox:1.36\nWORKDIR /app\nRUN echo building && exit 3\nCMD echo hi\n');
  it('a failing RUN', () => {
    const text = [
      '#0 building with "default" instance using docker driver',
      '',
      '#1 [internal] load build definition from Dockerfile',
      '#1 transferring dockerfile: 120B done',
      '#1 DONE 0.0s',
      '',
      '#4 [1/3] FROM docker.io/library/busybox:1.36@sha256:7edf5efe6b86dbf01ccc3c76b32a37a8e23b84e6bad81ce8ae8c221fa456fda8',
      '#4 CACHED',
      '',
      '#5 [2/3] WORKDIR /app',
      '#5 CACHED',
      '',
      '#6 [3/3] RUN echo building && exit 3',
      '#6 0.112 building',
      '#6 ERROR: process "/bin/sh -c echo building && exit 3" did not complete successfully: exit code: 3',
      '------',
      ' > [3/3] RUN echo building && exit 3:',
      '0.112 building',
      '------',
      '',
      ' 1 warning found (use docker --debug to expand):',
      ' - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 4)',
      'Dockerfile:3',
      '--------------------',
      '   1 |     FROM busybox:1.36',
      '   2 |     WORKDIR /app',
      '   3 | >>> RUN echo building && exit 3',
      '   4 |     CMD echo hi',
      '--------------------',
      'ERROR: failed to build: failed to solve: process "/bin/sh -c echo building && exit 3" did not complete successfully: exit code: 3',
    ].join('\n');
    const { steps, failure } = describeBuild(parseBuildOutput('buildkit', text), dockerfile);
    expect(steps.map((s) => [s.line, s.cached])).toEqual([[2, true], [3, false]]);
    expect(failure).toMatchObject({ kind: 'command', exitCode: 3, line: 3, step: 2, output: ['building'], reason: 'process "/bin/sh -c echo building && exit 3" did not complete successfully: exit code: 3' });
  });
  it('an unknown instruction', () => {
    const text = '#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\nDockerfile:2\n--------------------\n   1 |     FROM busybox:1.36\n   2 | >>> WORKDIRR /app\n--------------------\nERROR: failed to build: failed to solve: dockerfile parse error on line 2: unknown instruction: WORKDIRR (did you mean WORKDIR?)\n';
    const { failure } = describeBuild(parseBuildOutput('buildkit', text), parseDockerfile('FROM busybox:1.36\nWORKDIRR /app\n'));
    expect(failure).toMatchObject({ kind: 'unknown-instruction', line: 2, word: 'WORKDIRR', instruction: 'WORKDIRR /app' });
  });
});

describe('reasons, old and new wordings', () => {
  it.each([
    ["The command '/bin/sh -c false' returned a non-zero code: 1", { kind: 'command', exitCode: 1 }],
    ['ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 2', { kind: 'command', exitCode: 2, reason: 'process "/bin/sh -c false" did not complete successfully: exit code: 2' }],
    ['ERROR: failed to build: failed to solve: dockerfile parse error on line 3: unknown instruction: RUNN', { kind: 'unknown-instruction', line: 3, word: 'RUNN' }],
    ['ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref abc::def: "/app.py": not found', { kind: 'missing-source', path: '/app.py' }],
    ['Error response from daemon: dockerfile parse error line 7: FROM requires either one or three arguments', { kind: 'syntax', line: 7 }],
    ['COPY failed: stat /var/lib/docker/tmp/docker-builder1/app.py: file does not exist', { kind: 'missing-source', path: '/var/lib/docker/tmp/docker-builder1/app.py' }],
    ["pull access denied for nope, repository does not exist or may require 'docker login'", { kind: 'base-image', image: 'nope' }],
    ['no space left on device', { kind: 'other' }],
  ])('%s', (line, expected) => {
    expect(classifyReason(line)).toMatchObject(expected);
  });

  it('shows a line as a terminal would', () => {
    expect(displayLine('\x1b[91mfailed\x1b[0m')).toBe('failed');
    expect(displayLine('10%\r50%\r100%\r')).toBe('100%');
  });
});
