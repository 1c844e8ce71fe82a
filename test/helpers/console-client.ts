/**
 * A console WebSocket client for tests (the `ws` package, as a script would use it): connects with
 * the given headers, reports an HTTP refusal (status and body) or the panel's first text frame,
 * then collects the binary frames and the close code and reason.
 */
import WebSocket from 'ws';

export interface ConsoleRefusal {
  refused: true;
  status: number;
  body: string;
}

export interface ConsoleConnection {
  refused: false;
  ws: WebSocket;
  /** The panel's first (text) frame, parsed. */
  first: { type: string; code?: string; message?: string; machine?: string; kind?: string };
  /** Every binary frame so far, joined. */
  received(): Buffer;
  /** Resolves once `text` has arrived (in the binary frames), or rejects after `timeoutMs`. */
  waitFor(text: string | Buffer, timeoutMs?: number): Promise<void>;
  closed: Promise<{ code: number; reason: string; at: number }>;
  send(bytes: string | Buffer): void;
}

export async function connectConsole(
  url: string,
  options: { headers?: Record<string, string>; origin?: string; timeoutMs?: number } = {},
): Promise<ConsoleRefusal | ConsoleConnection> {
  const ws = new WebSocket(url, {
    headers: options.headers,
    ...(options.origin ? { origin: options.origin } : {}),
    perMessageDeflate: false,
  });
  let joined = Buffer.alloc(0);
  const waiters = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from ${url} within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ refused: true, status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        clearTimeout(timer);
        resolve({
          refused: false,
          ws,
          first: JSON.parse(data.toString()) as ConsoleConnection['first'],
          received: () => joined,
          waitFor: (text, timeoutMs = 20_000) =>
            new Promise<void>((done, fail) => {
              const needle = Buffer.isBuffer(text) ? text : Buffer.from(text);
              const check = (): void => {
                if (joined.includes(needle)) {
                  waiters.delete(check);
                  clearTimeout(giveUp);
                  done();
                }
              };
              const giveUp = setTimeout(() => {
                waiters.delete(check);
                fail(
                  new Error(
                    `"${needle.toString().slice(0, 60)}" did not arrive within ${timeoutMs} ms; got ${joined.length} bytes`,
                  ),
                );
              }, timeoutMs);
              waiters.add(check);
              check();
            }),
          closed,
          send: (bytes) => ws.send(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)),
        });
        return;
      }
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      joined = Buffer.concat([joined, chunk]);
      for (const waiter of [...waiters]) waiter();
    });
  });
}
