import { demux, lastLines } from '../../grader/src/engine/stream.js';
import { readTar } from '../../grader/src/engine/tar.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function tarEntry(name: string, content: string, type = '0', link = ''): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(type, 156);
  header.write(link, 157);
  header.write('ustar\0', 257);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body]);
}

describe('demux', () => {
  it('splits stdout and stderr frames and keeps their order in combined', () => {
    const out = demux(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c\n')]));
    expect(out).toEqual({ stdout: 'a\nc\n', stderr: 'b\n', combined: 'a\nb\nc\n' });
  });
  it('passes through a TTY stream (no headers)', () => {
    expect(demux(Buffer.from('hello\n')).combined).toBe('hello\n');
  });
  it('lastLines drops blank lines', () => {
    expect(lastLines('1\n\n2\n3\n\n', 2)).toBe('2\n3');
  });
});

describe('readTar', () => {
  it('reads files, directories and symlinks', () => {
    const archive = Buffer.concat([tarEntry('etc/', '', '5'), tarEntry('etc/passwd', 'root:x:0:0::/root:/bin/sh\n'), tarEntry('etc/link', '', '2', 'passwd'), Buffer.alloc(1024)]);
    const entries = [...readTar(archive)];
    expect(entries.map((e) => [e.path, e.type])).toEqual([['etc/', 'directory'], ['etc/passwd', 'file'], ['etc/link', 'symlink']]);
    expect(entries[1]?.data?.toString()).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(entries[2]?.linkTarget).toBe('passwd');
  });
  it('uses GNU long names', () => {
    const long = `${'d/'.repeat(60)}file`;
    const archive = Buffer.concat([tarEntry('././@LongLink', long, 'L'), tarEntry(long.slice(0, 99), 'x'), Buffer.alloc(1024)]);
    expect([...readTar(archive)].map((e) => e.path)).toEqual([long]);
  });
});
