export interface ListeningSocket {
  address: string;
  port: number;
  /** Reachable only from inside the container (127.0.0.1 / ::1). */
  loopbackOnly: boolean;
}

/** IPv4 as /proc/net/tcp writes it: 8 hex digits, little-endian on the machines we run on. */
function ipv4(hex: string): string {
  const bytes = hex.match(/../g)?.map((b) => parseInt(b, 16)) ?? [];
  return bytes.reverse().join('.');
}

/** IPv6 as /proc/net/tcp6 writes it: four 32-bit words, each little-endian. */
function ipv6(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse());
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(String(parseInt(`${bytes[i]}${bytes[i + 1]}`, 16).toString(16)));
  const text = groups.join(':');
  if (/^0:0:0:0:0:ffff:/.test(text)) {
    const tail = bytes.slice(12).map((b) => parseInt(b, 16));
    return `::ffff:${tail.join('.')}`;
  }
  return text.replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/**
 * The listening TCP sockets in the text of /proc/net/tcp and /proc/net/tcp6
 * (state 0A), as an app inside a container opened them; duplicates merged.
 */
export function parseListeningSockets(text: string): ListeningSocket[] {
  const out = new Map<string, ListeningSocket>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || !/^\d+:$/.test(fields[0] ?? '') || fields[3] !== '0A') continue;
    const [addressHex = '', portHex = ''] = (fields[1] ?? '').split(':');
    const address = addressHex.length === 32 ? ipv6(addressHex) : ipv4(addressHex);
    const port = parseInt(portHex, 16);
    const loopbackOnly = address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
    out.set(`${address}:${port}`, { address, port, loopbackOnly });
  }
  return [...out.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** "0.0.0.0:8080", "[::]:80", "127.0.0.1:5000". */
export function describeSocket(socket: ListeningSocket): string {
  return socket.address.includes(':') ? `[${socket.address}]:${socket.port}` : `${socket.address}:${socket.port}`;
}
