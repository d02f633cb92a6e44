import http from 'node:http';
import type { HttpAnswer, HttpFailure } from './facts.js';

export const MAX_BODY_BYTES = 256 * 1024;

export interface RequestOnce {
  host: string;
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Total time for the whole exchange, body included: a server that drips bytes cannot hold the grader. */
  timeoutMs?: number;
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

/** One HTTP request, no keep-alive, bounded in total time and in the body bytes kept. */
export function requestOnce({ host, port, path, method = 'GET', headers = {}, timeoutMs = 3000, maxBodyBytes = MAX_BODY_BYTES, signal }: RequestOnce): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const fail = (failure: HttpFailure, detail: string) => finish({ ok: false, failure, error: detail });
    const req = http.request({ host, port, path, method, agent: false, headers: { 'User-Agent': 'dockerlab-grader', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on('data', (chunk: Buffer) => {
        if (kept < maxBodyBytes) {
          const part = chunk.subarray(0, maxBodyBytes - kept);
          chunks.push(part);
          kept += part.length;
        }
        if (kept >= maxBodyBytes && !truncated) {
          // Enough to judge: stop reading instead of draining an endless body.
          truncated = true;
          finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, truncated: true });
          req.destroy();
        }
      });
      res.on('end', () => finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, truncated: false }));
      res.on('error', (error) => fail('closed', error.message));
    });
    const timer = setTimeout(() => {
      fail('timeout', `no complete answer within ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      fail('aborted', 'interrupted');
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => fail(failureOf(error), error.message));
    req.end();
  });
}

function failureOf(error: NodeJS.ErrnoException): HttpFailure {
  switch (error.code) {
    case 'ECONNREFUSED': return 'refused';
    case 'ECONNRESET': return 'reset';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ENOTFOUND': case 'EAI_AGAIN': return 'unreachable';
    default: return error.message === 'socket hang up' ? 'closed' : 'other';
  }
}
