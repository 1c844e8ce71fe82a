/**
 * `vmango events`: follows a panel's GET /api/events/ and runs a command for each event (vmango's
 * `subscribe` hooks), or prints the events as JSON lines when no command is given. After a drop it
 * reconnects with Last-Event-ID, so no event is missed; a `reset` from the panel (it restarted, or
 * the client was away longer than the replay window) is said on stderr and handed to the command
 * like an event. Commands run one at a time, in order, from a bounded backlog; each is spawned
 * with an argument array (never a shell), gets the event's JSON on stdin and VMANGO_EVENT,
 * VMANGO_EVENT_ID, VMANGO_PROVIDER, VMANGO_MACHINE and VMANGO_MACHINE_NAME in its environment.
 */
import { spawn } from 'node:child_process';
import { EVENT_NAMES, isEventName } from '../../core/events.js';
import { parseDuration } from '../../config/index.js';
import { backoffDelay } from '../../hypervisors/backoff.js';

export interface EventsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface EventsTuning {
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Ends the follower (SIGINT/SIGTERM in the vmango command). */
  stop?: AbortSignal;
}

const USAGE = `Usage: vmango events --url URL [credentials] [--events NAMES] [--since ID] [--backlog N] [--timeout D] [-- COMMAND [ARG…]]
  --url URL           the panel, e.g. https://panel.example.com:8000 (or $VMANGO_URL)
  --token TOKEN       an API token (better: $VMANGO_TOKEN, which ps does not show)
  --user NAME         a user (or $VMANGO_USER), with its password in $VMANGO_PASS (or --password)
  --events NAMES      only these, comma-separated: ${EVENT_NAMES.join(', ')}, reset
  --since ID          resume after this event id (what VMANGO_EVENT_ID was)
  --backlog N         events waiting for the command at most (default 100; more are dropped, said on stderr)
  --timeout D         a command still running after this long is stopped (default 60s)
  COMMAND [ARG…]      run for each event, without a shell: the event's JSON on stdin, and
                      VMANGO_EVENT, VMANGO_EVENT_ID, VMANGO_PROVIDER, VMANGO_MACHINE (the id),
                      VMANGO_MACHINE_NAME in the environment. Without one: the events on stdout.
`;

const VALUE_OPTIONS = ['url', 'token', 'user', 'password', 'events', 'since', 'backlog', 'timeout'] as const;
type Option = (typeof VALUE_OPTIONS)[number];

class EventsUsageError extends Error {}

function parse(args: readonly string[]): { options: Map<Option, string>; command: string[] } {
  const options = new Map<Option, string>();
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') {
      i++;
      break;
    }
    const match = /^--?([a-z]+)(?:=(.*))?$/s.exec(word);
    if (!match) break; // the command
    const name = match[1] as Option;
    if (!VALUE_OPTIONS.includes(name)) throw new EventsUsageError(`unknown option ${JSON.stringify(word)}`);
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new EventsUsageError(`--${name} needs a value`);
    options.set(name, value);
  }
  return { options, command: args.slice(i) };
}

interface Settings {
  url: URL;
  headers: Record<string, string>;
  events: Set<string> | undefined;
  since: string | undefined;
  backlog: number;
  timeoutMs: number;
  command: string[];
}

function settingsOf(args: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const { options, command } = parse(args);
  const urlText = options.get('url') ?? env.VMANGO_URL;
  if (!urlText) throw new EventsUsageError('--url (or $VMANGO_URL) is required');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new EventsUsageError(`--url: ${JSON.stringify(urlText)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EventsUsageError('--url must be http:// or https://');
  url = new URL(`${url.pathname.replace(/\/+$/, '')}/api/events/`, url);
  const token = options.get('token') ?? env.VMANGO_TOKEN;
  const user = options.get('user') ?? env.VMANGO_USER;
  const password = options.get('password') ?? env.VMANGO_PASS;
  let headers: Record<string, string>;
  if (token) headers = { Authorization: `Bearer ${token}` };
  else if (user && password !== undefined) headers = { 'X-Vmango-User': user, 'X-Vmango-Pass': password };
  else throw new EventsUsageError('credentials: give --token (or $VMANGO_TOKEN), or --user with $VMANGO_PASS');
  const eventsText = options.get('events');
  const events = eventsText === undefined ? undefined : new Set(eventsText.split(',').map((name) => name.trim()));
  for (const name of events ?? [])
    if (!isEventName(name) && name !== 'reset')
      throw new EventsUsageError(
        `--events: unknown event ${JSON.stringify(name)}; the events are ${EVENT_NAMES.join(', ')}, reset`,
      );
  const backlog = Number(options.get('backlog') ?? 100);
  if (!Number.isInteger(backlog) || backlog < 1 || backlog > 100_000)
    throw new EventsUsageError('--backlog must be a whole number from 1 to 100000');
  let timeoutMs = 60_000;
  if (options.has('timeout')) {
    try {
      timeoutMs = parseDuration(options.get('timeout')!);
    } catch (err) {
      throw new EventsUsageError(`--timeout: ${(err as Error).message}`);
    }
    if (!(timeoutMs > 0)) throw new EventsUsageError('--timeout must be longer than 0');
  }
  return { url, headers, events, since: options.get('since'), backlog, timeoutMs, command };
}

interface ReceivedEvent {
  name: string;
  id: string;
  data: string;
}

/** Runs the command for each event, one at a time, from a bounded backlog. */
class CommandRunner {
  private readonly backlog: ReceivedEvent[] = [];
  private running: Promise<void> | undefined;
  dropped = 0;

  constructor(
    private readonly settings: Settings,
    private readonly io: EventsIo,
  ) {}

  push(event: ReceivedEvent): void {
    if (this.settings.command.length === 0) {
      this.io.stdout.write(`${event.data}\n`);
      return;
    }
    if (this.backlog.length >= this.settings.backlog) {
      this.dropped++;
      this.io.stderr.write(
        `vmango events: backlog full (${this.settings.backlog} events wait for the command): dropped ${event.name} ${event.id} (${this.dropped} so far)\n`,
      );
      return;
    }
    this.backlog.push(event);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    for (let event = this.backlog.shift(); event; event = this.backlog.shift()) await this.run(event);
  }

  private run(event: ReceivedEvent): Promise<void> {
    const [file, ...args] = this.settings.command as [string, ...string[]];
    let about: { provider?: string; machine?: { Id?: string; Name?: string } } = {};
    try {
      about = JSON.parse(event.data) as typeof about;
    } catch {
      // a reset carries no machine
    }
    const env = {
      ...this.io.env,
      VMANGO_EVENT: event.name,
      VMANGO_EVENT_ID: event.id,
      VMANGO_PROVIDER: about.provider ?? '',
      VMANGO_MACHINE: about.machine?.Id ?? '',
      VMANGO_MACHINE_NAME: about.machine?.Name ?? '',
    };
    return new Promise((resolve) => {
      const child = spawn(file, args, { env, stdio: ['pipe', 'inherit', 'inherit'], shell: false });
      const timer = setTimeout(() => {
        this.io.stderr.write(`vmango events: ${file} ran longer than ${this.settings.timeoutMs} ms for ${event.id}: stopped\n`);
        child.kill('SIGTERM');
      }, this.settings.timeoutMs);
      child.stdin.on('error', () => undefined); // a command that does not read its stdin
      child.stdin.end(`${event.data}\n`);
      child.on('error', (err) => {
        clearTimeout(timer);
        this.io.stderr.write(`vmango events: could not run ${file}: ${err.message}\n`);
        resolve();
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0)
          this.io.stderr.write(
            `vmango events: ${file} ${signal ? `was stopped by ${signal}` : `exited ${code}`} for ${event.name} ${event.id}\n`,
          );
        resolve();
      });
    });
  }
}

class FatalError extends Error {}

/** One connection: reads events until the stream ends; returns the last id seen. */
async function followOnce(
  settings: Settings,
  lastId: string | undefined,
  onEvent: (event: ReceivedEvent) => void,
  onId: (id: string) => void,
  signal: AbortSignal,
  onOpen: () => void,
): Promise<{ retryAfterMs?: number }> {
  const res = await fetch(settings.url, {
    headers: { Accept: 'text/event-stream', ...settings.headers, ...(lastId ? { 'Last-Event-ID': lastId } : {}) },
    signal,
  });
  if (res.status === 401 || res.status === 403 || res.status === 400) {
    const text = (await res.text()).trim();
    throw new FatalError(`the panel answered ${res.status}: ${text.slice(0, 300)}`);
  }
  if (res.status === 429) {
    await res.body?.cancel();
    return { retryAfterMs: Number(res.headers.get('retry-after') ?? 10) * 1000 };
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new Error(`the panel answered ${res.status}`);
  }
  onOpen();
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = '';
      let id: string | undefined;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (id !== undefined) onId(id);
      if (name !== '' && id !== undefined) onEvent({ name, id, data });
    }
  }
  return {};
}

export async function runEvents(args: readonly string[], io: EventsIo, tuning: Partial<EventsTuning> = {}): Promise<number> {
  if (args.some((arg) => /^--?(h|help)$/.test(arg))) {
    io.stdout.write(USAGE);
    return 0;
  }
  let settings: Settings;
  try {
    settings = settingsOf(args, io.env);
  } catch (err) {
    if (!(err instanceof EventsUsageError)) throw err;
    io.stderr.write(`vmango events: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const { reconnectInitialMs = 1_000, reconnectMaxMs = 30_000 } = tuning;
  const stop = tuning.stop ?? new AbortController().signal;
  const runner = new CommandRunner(settings, io);
  let lastId = settings.since;
  let failures = 0;
  const wanted = (name: string) => settings.events === undefined || settings.events.has(name);
  while (!stop.aborted) {
    let wait: number;
    try {
      const result = await followOnce(
        settings,
        lastId,
        (event) => {
          if (event.name === 'reset')
            io.stderr.write(
              `vmango events: the panel could not replay what came after ${lastId ?? 'the start'} (${event.data}): reload your state\n`,
            );
          if (wanted(event.name)) runner.push(event);
        },
        (id) => (lastId = id),
        stop,
        () => (failures = 0),
      );
      wait = result.retryAfterMs ?? backoffDelay(failures++, reconnectInitialMs, reconnectMaxMs);
      if (!stop.aborted) io.stderr.write(`vmango events: the stream ended; reconnecting in ${wait} ms\n`);
    } catch (err) {
      if (stop.aborted) break;
      if (err instanceof FatalError) {
        io.stderr.write(`vmango events: ${err.message}\n`);
        await runner.idle();
        return 1;
      }
      wait = backoffDelay(failures++, reconnectInitialMs, reconnectMaxMs);
      const reason = ((err as Error & { cause?: Error }).cause ?? (err as Error)).message;
      io.stderr.write(`vmango events: ${reason}; reconnecting in ${wait} ms\n`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      stop.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  await runner.idle();
  return 0;
}

/** As the vmango command runs it: until SIGINT or SIGTERM. */
export function runEventsCommand(args: readonly string[], io: EventsIo): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return runEvents(args, io, { stop: controller.signal }).finally(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
}
