import http from 'node:http';
import type { HttpAnswer, HttpRequest } from './facts.js';
import { pollUntil } from './poll.js';

const MAX_BODY = 256 * 1024;

/** One HTTP request to 127.0.0.1:port, no keep-alive, bounded in time and size. */
export function requestOnce(port: number, path: string, method = 'GET', timeoutMs = 3000): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, timeout: timeoutMs, headers: { 'User-Agent': 'dockerlab-grader' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', (error) => resolve({ ok: false, error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: describe(error) }));
    req.end();
  });
}

function describe(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset (nothing listening behind the published port?)';
    default: return error.message === 'socket hang up' ? 'connection closed without an answer (nothing listening behind the published port?)' : error.message;
  }
}

/** Retries until `until` accepts the answer (default: any HTTP answer) or `withinMs` is over. */
export async function httpRequest(request: HttpRequest): Promise<HttpAnswer> {
  const until = request.until ?? ((a: HttpAnswer) => a.ok);
  const { value } = await pollUntil(
    () => requestOnce(request.port, request.path, request.method),
    until,
    request.withinMs ?? 0,
    { firstDelayMs: 100, maxDelayMs: 500 },
  );
  return value;
}
