/** A minimal reader for the tar archives the engine returns (ustar / GNU long names), enough to list and read files. */
export interface TarEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  linkTarget: string;
  size: number;
  data?: Buffer;
}

export function* readTar(archive: Buffer, { withData = true }: { withData?: boolean } = {}): Generator<TarEntry> {
  let offset = 0;
  let longName: string | null = null;
  let longLink: string | null = null;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(text(header, 124, 12).trim() || '0', 8);
    const typeFlag = String.fromCharCode(header[156] ?? 48);
    const prefix = text(header, 345, 155);
    let path = (prefix ? `${prefix}/` : '') + text(header, 0, 100);
    let linkTarget = text(header, 157, 100);
    const dataStart = offset + 512;
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;
    if (typeFlag === 'L') { longName = data.toString('utf8').replace(/\0+$/, ''); continue; }
    if (typeFlag === 'K') { longLink = data.toString('utf8').replace(/\0+$/, ''); continue; }
    if (typeFlag === 'x' || typeFlag === 'g') {
      const pax = parsePax(data.toString('utf8'));
      if (pax.path) longName = pax.path;
      if (pax.linkpath) longLink = pax.linkpath;
      continue;
    }
    if (longName !== null) { path = longName; longName = null; }
    if (longLink !== null) { linkTarget = longLink; longLink = null; }
    const type =
      typeFlag === '0' || typeFlag === '\0' || typeFlag === '7' ? 'file'
      : typeFlag === '5' ? 'directory'
      : typeFlag === '2' ? 'symlink'
      : typeFlag === '1' ? 'hardlink'
      : 'other';
    yield { path: path.replace(/^\.\//, ''), type, linkTarget, size, ...(withData && type === 'file' ? { data } : {}) };
  }
}

function text(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? length : end).toString('utf8');
}

function parsePax(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const record of body.split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/.exec(record);
    if (match?.[1]) out[match[1]] = match[2] ?? '';
  }
  return out;
}
