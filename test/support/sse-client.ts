/** A minimal Server-Sent Events client for integration tests: collects events, each stamped when it arrived. */
import http from 'node:http';

export interface SseEvent<T = unknown> {
  id: number;
  event: string;
  data: T;
  /** Date.now() when the event was parsed. */
  receivedAt: number;
}

export class SseClient<T = unknown> {
  readonly events: Array<SseEvent<T>> = [];
  private req: http.ClientRequest | null = null;
  private error: Error | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor() {}

  /** Connects and resolves once the response headers arrived (the stream is then subscribed). */
  static open<T>(url: string, headers: Record<string, string> = {}): Promise<SseClient<T>> {
    const c = new SseClient<T>();
    return new Promise((resolve, reject) => {
      let buf = '';
      c.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE ${url}: status ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const fields: Record<string, string> = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':') || !line.includes(':')) continue;
              fields[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 1).trim();
            }
            if (fields.data === undefined) continue;
            c.events.push({ id: Number(fields.id), event: fields.event ?? 'message', data: JSON.parse(fields.data) as T, receivedAt: Date.now() });
            c.wake();
          }
        });
        res.on('end', () => {
          c.error ??= new Error('SSE stream ended');
          c.wake();
        });
        resolve(c);
      });
      c.req.on('error', (err) => {
        c.error = err;
        c.wake();
        reject(err);
      });
    });
  }

  /** Resolves with the first event (already received or to come) that matches; rejects after `timeoutMs`. */
  next(match: (e: SseEvent<T>) => boolean, timeoutMs = 60_000): Promise<SseEvent<T>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.find(match);
        if (hit) return done(() => resolve(hit));
        if (this.error) return done(() => reject(this.error!));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no matching SSE event within ${timeoutMs} ms (got ${this.events.length})`))), timeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.req?.destroy();
    this.req = null;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
