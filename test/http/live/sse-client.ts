/** A test client of the live event stream (SSE): the events as they arrive, parsed. */
export interface ServerEvent {
  event: string;
  data: string;
  comment?: string;
  /** The block's `id:` field, when it had one. */
  id?: string;
}

/** Opens `base`/events/ with the session cookie and collects what arrives; `until` resolves with the first event matching. */
export async function openEventStream(base: string, cookie: string, headers: Record<string, string> = {}) {
  return openSse(`${base}/events/`, { Cookie: cookie, ...headers });
}

/** Opens an SSE stream at `url` (e.g. /api/events/ with API credentials) and collects what arrives. */
export async function openSse(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const received: ServerEvent[] = [];
  const waiters: { match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
            else if (line.startsWith('id: ')) event.id = line.slice(4);
          }
          received.push(event);
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(event);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  const until = (match: (e: ServerEvent) => boolean, timeoutMs = 5_000) =>
    new Promise<ServerEvent>((resolve, reject) => {
      const already = received.find(match);
      if (already) return resolve(already);
      const timer = setTimeout(
        () => reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(received)}`)),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  const close = async () => {
    controller.abort();
    await reading;
  };
  return { res, received, until, close };
}
