import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { LINE_TRACKER, hungLine, writeDockerShim } from '../../grader/src/workloads/docker-shim.js';
import { spawnSync } from 'node:child_process';

/** The shim is bash: run it for real against a fake client that prints the arguments it receives. */
describe('docker shim', () => {
  let fakeDir: string;
  let shimDir: string;
  beforeAll(() => {
    fakeDir = mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
    const fake = path.join(fakeDir, 'docker');
    writeFileSync(fake, '#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n');
    chmodSync(fake, 0o755);
    shimDir = writeDockerShim({ realDocker: fake, inject: { labels: { dockerlab: '1', 'dockerlab.run': "r1 it's" }, limits: { memoryMiB: 512, cpus: 1, pids: 256 } } });
  });
  afterAll(() => {
    rmSync(fakeDir, { recursive: true, force: true });
    rmSync(shimDir, { recursive: true, force: true });
  });
  const run = (...args: string[]) => execFileSync(path.join(shimDir, 'docker'), args, { encoding: 'utf8' }).trimEnd().split('\n');

  it('puts labels and limits right after `run`, before the student flags (which therefore win)', () => {
    expect(run('run', '-d', '-m', '256m', '--name', 'site', 'nginx')).toEqual([
      'run', '--label', 'dockerlab=1', '--label', "dockerlab.run=r1 it's", '--memory', '512m', '--cpus', '1', '--pids-limit', '256', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=1',
      '-d', '-m', '256m', '--name', 'site', 'nginx',
    ]);
  });
  it('handles `container create` and global flags before the command', () => {
    const out = run('--log-level', 'warn', 'container', 'create', 'nginx');
    expect(out.slice(0, 4)).toEqual(['--log-level', 'warn', 'container', 'create']);
    expect(out).toContain('--pids-limit');
    expect(out[out.length - 1]).toBe('nginx');
  });
  it('labels networks and volumes it creates, without resource flags', () => {
    expect(run('network', 'create', 'reseau-app')).toEqual(['network', 'create', '--label', 'dockerlab=1', '--label', "dockerlab.run=r1 it's", 'reseau-app']);
    expect(run('volume', 'create', 'donnees')).toContain('--label');
  });
  it('records each call, as typed, when DOCKERLAB_CALLS is set', () => {
    const calls = path.join(fakeDir, 'calls.log');
    for (const args of [['ps', '-a'], ['run', '-d', 'nginx']]) {
      execFileSync(path.join(shimDir, 'docker'), args, { env: { ...process.env, DOCKERLAB_CALLS: calls } });
    }
    expect(readFileSync(calls, 'utf8')).toBe('docker ps -a\ndocker run -d nginx\n');
  });

  it('only records, adding nothing, when it has nothing to inject (inside a sandbox)', () => {
    const recordOnly = writeDockerShim({ realDocker: path.join(fakeDir, 'docker') });
    try {
      expect(execFileSync(path.join(recordOnly, 'docker'), ['run', '-d', 'nginx'], { encoding: 'utf8' }).trimEnd().split('\n')).toEqual(['run', '-d', 'nginx']);
    } finally {
      rmSync(recordOnly, { recursive: true, force: true });
    }
  });

  it('passes every other command through untouched', () => {
    expect(run('stop', 'ancien')).toEqual(['stop', 'ancien']);
    expect(run('ps', '-a', '--filter', 'name=run')).toEqual(['ps', '-a', '--filter', 'name=run']);
    expect(run('exec', 'x', 'docker', 'run')).toEqual(['exec', 'x', 'docker', 'run']);
  });
});

/** The line tracker is bash too: run a script that hangs under it, for real, and read which line it wrote. */
describe('the line tracker (BASH_ENV)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'line-tracker-'));
    writeFileSync(path.join(dir, 'bash-env'), LINE_TRACKER);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hang = (script: string) => {
    writeFileSync(path.join(dir, 'script.sh'), script);
    rmSync(path.join(dir, 'line'), { force: true });
    const ran = spawnSync('timeout', ['-s', 'KILL', '1', 'bash', path.join(dir, 'script.sh')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BASH_ENV: path.join(dir, 'bash-env'), DOCKERLAB_LINE: path.join(dir, 'line') },
    });
    return { line: hungLine(readFileSync(path.join(dir, 'line'), 'utf8'), script), output: ran.stdout + ran.stderr };
  };

  it('names the line a script is stuck on, inside a function too', () => {
    expect(hang('echo start\nwait_for_it() {\n  echo waiting\n  sleep 30\n}\nwait_for_it\necho never\n').line).toEqual({ line: 4, text: 'sleep 30' });
  });
  it('stays out of a `set -x` trace, keeps $? and does not trace nested scripts', () => {
    const { line, output } = hang('set -x\nfalse || echo "status $?"\nbash -c \'echo "nested:${BASH_ENV:-none}"\'\nsleep 30\n');
    expect(line).toEqual({ line: 4, text: 'sleep 30' });
    expect(output).toContain('status 1');
    expect(output).toContain('nested:none');
    expect(output).not.toContain('printf');
    expect(output).not.toContain('LINENO');
  });
  it('ignores a recorded line that is not a line of the script', () => {
    expect(hungLine('12', 'one\ntwo\n')).toBeNull();
    expect(hungLine('x', 'one\n')).toBeNull();
    expect(hungLine('0', 'one\n')).toBeNull();
    expect(hungLine('1', `${'a'.repeat(200)}\r\n`)).toEqual({ line: 1, text: `${'a'.repeat(120)}…` });
  });
});
