import http from 'node:http';
import net from 'node:net';
import { type HostHttpRequest, type HttpAnswer, type HttpFailure, MAX_BODY_BYTES } from '../engine/index.js';

/** Raised while opening the tunnel; mapped to the failure kinds of requestOnce. */
class TunnelError extends Error {
  constructor(readonly failure: HttpFailure, message: string) {
    super(message);
  }
}

/**
 * One HTTP request to 127.0.0.1:PORT *inside* the sandbox's network namespace,
 * through the sandbox's forwarder socket: what the student's `curl localhost:PORT`
 * reaches, ports published on 127.0.0.1 included. The forwarder reads the port
 * on the first line and answers "ok" or "refused" before relaying bytes.
 * Same contract as requestOnce (engine/http.ts): no keep-alive, a total time limit
 * for the whole exchange, a cap on the body bytes kept.
 */
export function requestThroughForwarder(socketPath: string, { port, path, method = 'GET', headers = {}, timeoutMs = 3000, maxBodyBytes = MAX_BODY_BYTES, signal }: HostHttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    let tunnel: net.Socket | undefined;
    const finish = (answer: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      tunnel?.destroy();
      resolve(answer);
    };
    const fail = (failure: HttpFailure, detail: string) => finish({ ok: false, failure, error: detail });
    const timer = setTimeout(() => {
      fail('timeout', `no complete answer within ${timeoutMs} ms`);
      req?.destroy();
    }, timeoutMs);
    const onAbort = () => {
      fail('aborted', 'interrupted');
      req?.destroy();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail('other', `port ${port} is not a TCP port`);

    const req: http.ClientRequest | undefined = http.request(
      {
        path,
        method,
        headers: { 'User-Agent': 'dockerlab-grader', ...headers, Host: `localhost:${port}`, Connection: 'close' },
        createConnection: (_options: unknown, ready: (error: Error | null, socket?: net.Socket) => void) => {
          openTunnel(socketPath, port).then(
            (socket) => {
              tunnel = socket;
              ready(null, socket);
              // Paused while the answer line was read; the HTTP parser is attached by now.
              setImmediate(() => socket.resume());
            },
            (error: Error) => ready(error),
          );
          return undefined;
        },
      } as http.RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < maxBodyBytes) {
            const part = chunk.subarray(0, maxBodyBytes - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (kept >= maxBodyBytes) {
            // Enough to judge: stop reading instead of draining an endless body.
            finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, truncated: true });
            req?.destroy();
          }
        });
        res.on('end', () => finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, truncated: false }));
        res.on('error', (error) => fail('closed', error.message));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof TunnelError) fail(error.failure, error.message);
      else if (error.code === 'ECONNRESET') fail('reset', error.message);
      else fail(error.message === 'socket hang up' ? 'closed' : 'other', error.message);
    });
    req.end();
  });
}

function openTunnel(socketPath: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let head = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline === -1) {
        if (head.length > 64) onError(new Error('unexpected answer from the sandbox forwarder'));
        return;
      }
      cleanup();
      socket.pause();
      const verdict = head.subarray(0, newline).toString('latin1');
      const rest = head.subarray(newline + 1);
      if (rest.length > 0) socket.unshift(rest);
      if (verdict === 'ok') resolve(socket);
      else {
        socket.destroy();
        reject(new TunnelError('refused', `nothing accepts connections on port ${port} in the sandbox`));
      }
    };
    const onError = (error: NodeJS.ErrnoException) => {
      cleanup();
      socket.destroy();
      const gone = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      reject(new TunnelError(gone ? 'unreachable' : 'other', gone ? `the sandbox's forwarder does not answer (${error.message}): has the sandbox ended?` : error.message));
    };
    const onEnd = () => onError(new Error('the sandbox forwarder closed the connection'));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.write(`${port}\n`);
  });
}
