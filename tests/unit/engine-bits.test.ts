import os from 'node:os';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import tarStream from 'tar-stream';
import { currentOwner, ownerIsDead, processStart } from '../../grader/src/engine/labels.js';
import { cliEnvFrom, hostAddressOf } from '../../grader/src/engine/runtime.js';
import { demuxedTail, lastLines, TailBuffer } from '../../grader/src/engine/stream.js';
import { firstEntry, walkTar } from '../../grader/src/engine/tar.js';
import { describeSocket, parseListeningSockets } from '../../grader/src/lib/proc-net.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

async function tarOf(entries: { name: string; content?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Promise<Readable> {
  const pack = tarStream.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}) }, e.content ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Readable.from([Buffer.concat(chunks)]);
}

describe('bounded output', () => {
  it('keeps only the last bytes and counts them all', () => {
    const tail = new TailBuffer(10);
    for (let i = 0; i < 1000; i++) tail.push('0123456789');
    tail.push('abc');
    expect(tail.text()).toBe('3456789abc');
    expect(tail.total).toBe(10_003);
    expect(tail.truncated).toBe(true);
  });
  it('demuxes stdout and stderr frames, keeping their order and a byte cap (thousands of frames without recursion)', async () => {
    const modem = new Docker({ socketPath: '/nonexistent' }).modem;
    const out = await demuxedTail(modem, Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c\n')]), 1024);
    expect(out.text()).toBe('a\nb\nc\n');
    const capped = await demuxedTail(modem, Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(1, `line ${i}\n`))), 16);
    expect(capped.text()).toBe('line 98\nline 99\n');
    expect(capped.total).toBeGreaterThan(600);
  });
  it('passes a TTY stream through', async () => {
    const modem = new Docker({ socketPath: '/nonexistent' }).modem;
    expect((await demuxedTail(modem, Buffer.from('hello\n'), 100, { multiplexed: false })).text()).toBe('hello\n');
  });
  it('lastLines drops blank lines', () => {
    expect(lastLines('1\n\n2\n3\n\n', 2)).toBe('2\n3');
  });
});

describe('tar streams (tar-stream)', () => {
  it('walks entries with their types, and reads the first file of an archive', async () => {
    const seen: string[] = [];
    await walkTar(await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' }, { name: 'etc/link', type: 'symlink', linkname: 'passwd' }]), (e) => {
      seen.push(`${e.path}:${e.type}`);
    });
    expect(seen).toEqual(['etc/:directory', 'etc/passwd:file', 'etc/link:symlink']);
    const first = await firstEntry(await tarOf([{ name: 'passwd', content: 'root:x:0:0' }]), 4);
    expect(first?.data?.toString()).toBe('root');
  });
  it('keeps long names (pax headers)', async () => {
    const long = `${'d/'.repeat(80)}file`;
    const seen: string[] = [];
    await walkTar(await tarOf([{ name: long, content: 'x' }]), (e) => {
      seen.push(e.path);
    });
    expect(seen).toEqual([long]);
  });
});

describe('listening sockets from /proc/net/tcp{,6}', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
    '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
    '   2: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0',
    '  sl  local_address                         remote_address                        st',
    '   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 4',
    '   1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5',
  ].join('\n');
  it('lists listening sockets only, with their addresses, loopback ones marked', () => {
    const sockets = parseListeningSockets(text);
    expect(sockets.map(describeSocket)).toEqual(['0.0.0.0:80', '[::]:80', '127.0.0.1:8080', '[::1]:8081']);
    expect(sockets.filter((s) => s.loopbackOnly).map((s) => s.port)).toEqual([8080, 8081]);
  });
});

describe('run owners', () => {
  it('this process is alive; a pid that does not exist, another boot, or a reused pid are dead', () => {
    expect(ownerIsDead(currentOwner())).toBe(false);
    const [host, boot] = currentOwner().split(':');
    expect(ownerIsDead(`${host}:${boot}:999999999:1`)).toBe(true);
    expect(ownerIsDead(`${host}:other:${process.pid}:${processStart(process.pid)}`)).toBe(true);
    expect(ownerIsDead(`${host}:${boot}:${process.ppid}:1`)).toBe(process.platform === 'linux');
    expect(ownerIsDead(`${host}:${boot}:${process.ppid}:${processStart(process.ppid)}`)).toBe(false);
  });
  it('never judges an owner on another host', () => {
    expect(ownerIsDead(`not-${os.hostname()}:x:1:1`)).toBe(false);
  });
});

describe('the runtime', () => {
  it('reaches published ports on the engine\'s host', () => {
    expect(hostAddressOf(undefined)).toBe('127.0.0.1');
    expect(hostAddressOf('unix:///var/run/docker.sock')).toBe('127.0.0.1');
    expect(hostAddressOf('tcp://10.1.2.3:2376')).toBe('10.1.2.3');
    expect(hostAddressOf('ssh://me@build.example.org')).toBe('build.example.org');
    expect(hostAddressOf('tcp://localhost:2375')).toBe('127.0.0.1');
  });
  it('gives the docker CLI what it needs of the environment, and no secret', () => {
    const env = cliEnvFrom({ PATH: '/bin', HOME: '/root', GITHUB_TOKEN: 'ghp_x', AWS_SECRET_ACCESS_KEY: 'k', DOCKER_CONFIG: '/d' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/root', DOCKER_CONFIG: '/d', DOCKER_CLI_HINTS: 'false' });
  });
});
