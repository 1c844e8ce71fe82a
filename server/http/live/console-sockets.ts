/**
 * Console WebSockets: each admitted upgrade (console-admission.ts) becomes a bridge between the
 * socket and the console the service opens, bytes both ways with back-pressure (a browser that
 * does not read stops the guest's output for that console only; a guest that does not take input
 * stops reading the socket). A console closes when either side ends, when its session is logged out
 * (here or on another replica) or expires, when its machine is deleted, after an idle timeout, and
 * at shutdown. Every open and close is logged with user, machine, duration and bytes.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ConsoleChannel, ConsoleGrant, ConsoleHolder, ConsoleService } from '../../core/consoles.js';
import type { AuditEntry, AuditOutcome, AuditSink } from '../../core/audit.js';
import type { Logger } from '../../core/log.js';
import { ServiceError } from '../../core/service-error.js';
import type { MachineService } from '../../core/services.js';
import type { EndedSessions } from '../../services/auth/ended-sessions.js';
import { answerFor } from '../error-answer.js';
import { admitConsole, isConsoleSocketPath, type AdmissionDeps } from './console-admission.js';
import { CLOSE, closeReason, openFailureCode, type ErrorMessage, type ReadyMessage } from './console-protocol.js';

export interface ConsoleSocketLimits {
  /** A console with no bytes either way for this long is closed (default 15 minutes). */
  idleTimeoutMs: number;
  /** Consoles one session (or one API user) may have open at once (default 8). */
  perHolder: number;
  /** Bytes sent to the socket but not yet written out before the console stops reading the guest. */
  highWaterBytes: number;
  /** Pings keep proxies from closing a quiet console (default every 30 s). */
  pingIntervalMs: number;
}

export const DEFAULT_CONSOLE_SOCKET_LIMITS: ConsoleSocketLimits = {
  idleTimeoutMs: 15 * 60_000,
  perHolder: 8,
  highWaterBytes: 1024 * 1024,
  pingIntervalMs: 30_000,
};

/** Largest frame a client may send (a pasted text, a burst of VNC input). */
const MAX_CLIENT_FRAME = 1024 * 1024;

export interface ConsoleSocketDeps extends Omit<AdmissionDeps, 'consoles'> {
  consoles: ConsoleService;
  machines: Pick<MachineService, 'subscribe'>;
  ended: EndedSessions;
  logger: Logger;
  /** Every console opened (or failing to open) and closed. */
  audit?: AuditSink;
  limits?: Partial<ConsoleSocketLimits>;
}

interface OpenConsole {
  grant: ConsoleGrant;
  presenter: ConsoleHolder;
  ws?: WebSocket;
  channel?: ConsoleChannel;
  startedAt: number;
  lastActivity: number;
  fromGuest: number;
  toGuest: number;
  timers: NodeJS.Timeout[];
  finished: boolean;
  remote: string;
  tokenId?: string;
}

export class ConsoleSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME, perMessageDeflate: false });
  private readonly consoles = new Set<OpenConsole>();
  private readonly limits: ConsoleSocketLimits;
  private readonly stopEnded: () => void;
  /** The machine events subscription, held only while a console is open: each event costs a machine read. */
  private stopMachineEvents: (() => void) | undefined;
  private closing = false;

  constructor(private readonly deps: ConsoleSocketDeps) {
    this.limits = { ...DEFAULT_CONSOLE_SOCKET_LIMITS, ...deps.limits };
    this.stopEnded = deps.ended.onEnded((sessionId) => {
      for (const open of this.consoles) {
        if (open.presenter.kind === 'session' && open.presenter.sessionId === sessionId)
          this.finish(open, CLOSE.sessionEnded, 'logged out');
      }
    });
  }

  private watchMachines(): void {
    if (this.stopMachineEvents) return;
    this.stopMachineEvents = this.deps.machines.subscribe((event) => {
      if (event.type !== 'machine-removed') return;
      for (const open of this.consoles) {
        if (open.grant.provider === event.provider && open.grant.id === event.id)
          this.finish(open, CLOSE.machineRemoved, 'the machine was deleted');
      }
    });
  }

  private unwatchMachinesWhenIdle(): void {
    if (this.consoles.size > 0 || !this.stopMachineEvents) return;
    this.stopMachineEvents();
    this.stopMachineEvents = undefined;
  }

  /** Consoles open (or opening) now. */
  get openCount(): number {
    return this.consoles.size;
  }

  /** The HTTP server's 'upgrade' listener. */
  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (this.closing) return refuseUpgrade(socket, 503, 'the panel is shutting down');
    if (!isConsoleSocketPath(req.url)) return refuseUpgrade(socket, 404, 'no such WebSocket');
    void this.admit(req, socket, head).catch((err: unknown) => {
      this.deps.logger.error({ err }, 'console upgrade failed');
      refuseUpgrade(socket, 500, 'Internal server error');
    });
  };

  close(): void {
    this.closing = true;
    for (const open of this.consoles) this.finish(open, CLOSE.goingAway, 'the panel is shutting down');
    this.stopEnded();
    this.stopMachineEvents?.();
    this.stopMachineEvents = undefined;
    this.wss.close();
  }

  private async admit(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const admission = await admitConsole(req, this.deps);
    const remote = this.deps.clientAddress(req);
    if (!admission.ok) {
      this.deps.logger.warn({ remote, status: admission.status, reason: admission.message }, 'console refused');
      return refuseUpgrade(socket, admission.status, admission.message, admission.headers);
    }
    const { grant, presenter } = admission;
    const held = [...this.consoles].filter((open) => sameHolder(open.presenter, presenter)).length;
    if (held >= this.limits.perHolder) {
      return refuseUpgrade(
        socket,
        429,
        `too many consoles open (at most ${this.limits.perHolder} per session); close one first`,
        {
          'Retry-After': '5',
        },
      );
    }
    const now = Date.now();
    const open: OpenConsole = {
      grant,
      presenter,
      startedAt: now,
      lastActivity: now,
      fromGuest: 0,
      toGuest: 0,
      timers: [],
      finished: false,
      remote,
      ...(admission.tokenId !== undefined ? { tokenId: admission.tokenId } : {}),
    };
    this.consoles.add(open);
    this.watchMachines();
    // A client gone before the handshake completes never reaches attach().
    socket.once('close', () => {
      if (!open.ws) this.finish(open, CLOSE.normal, 'the client left during the handshake');
    });
    if (admission.sessionExpiresAtMs !== undefined) {
      const left = Math.max(0, admission.sessionExpiresAtMs - now);
      open.timers.push(
        setTimeout(() => this.finish(open, CLOSE.sessionEnded, 'the session expired'), Math.min(left, 2 ** 31 - 1)),
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.attach(open, ws));
  }

  private async attach(open: OpenConsole, ws: WebSocket): Promise<void> {
    open.ws = ws;
    ws.on('error', () => ws.terminate());
    ws.once('close', () => this.finish(open, CLOSE.normal, 'the client closed the console'));
    if (open.finished) return;
    let channel: ConsoleChannel;
    try {
      channel = await this.deps.consoles.open(open.grant);
    } catch (err) {
      const answer = answerFor(err);
      const message = answer.unexpected ? 'the console could not be opened (see the panel log)' : answer.message;
      if (answer.unexpected) this.deps.logger.error({ err, machine: open.grant.name }, 'console open failed');
      const code = err instanceof ServiceError ? err.kind : 'internal';
      this.send(ws, { type: 'error', code, message } satisfies ErrorMessage);
      this.record(open, 'console.open', answer.status < 500 ? 'refused' : 'failed', { error: message });
      this.finish(open, openFailureCode(answer.status), message);
      return;
    }
    if (open.finished) {
      channel.close('the client left before the console opened');
      return;
    }
    open.channel = channel;
    this.send(ws, {
      type: 'ready',
      kind: channel.kind,
      provider: channel.provider,
      id: channel.id,
      machine: channel.name,
    } satisfies ReadyMessage);
    this.deps.logger.info({ ...this.who(open), remote: open.remote }, 'console opened');
    this.record(open, 'console.open', 'ok', { durationMs: Date.now() - open.startedAt });
    this.bridge(open, ws, channel);
  }

  private bridge(open: OpenConsole, ws: WebSocket, channel: ConsoleChannel): void {
    const stream = channel.stream;
    let unsent = 0;
    let guestPaused = false;
    stream.on('data', (chunk: Buffer) => {
      open.fromGuest += chunk.length;
      open.lastActivity = Date.now();
      unsent += chunk.length;
      ws.send(chunk, { binary: true }, () => {
        unsent -= chunk.length;
        if (guestPaused && unsent <= this.limits.highWaterBytes / 2) {
          guestPaused = false;
          stream.resume();
        }
      });
      if (!guestPaused && unsent > this.limits.highWaterBytes) {
        guestPaused = true;
        stream.pause();
      }
    });
    const ended = (): void =>
      this.finish(
        open,
        CLOSE.normal,
        'the console ended on the hypervisor (the machine stopped, or another client took the console over)',
      );
    stream.once('end', ended);
    stream.once('close', ended);
    stream.once('error', (err: Error) => {
      this.deps.logger.debug({ ...this.who(open), error: err.message }, 'console stream failed');
      ended();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.finish(open, CLOSE.unsupportedData, 'after "ready" the console takes binary frames only');
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      open.toGuest += bytes.length;
      open.lastActivity = Date.now();
      if (!stream.write(bytes)) {
        ws.pause();
        stream.once('drain', () => ws.resume());
      }
    });
    const tick = Math.min(this.limits.pingIntervalMs, Math.max(50, this.limits.idleTimeoutMs / 4));
    open.timers.push(
      setInterval(() => {
        if (Date.now() - open.lastActivity >= this.limits.idleTimeoutMs) {
          this.finish(open, CLOSE.idle, `closed after ${describeDuration(this.limits.idleTimeoutMs)} without input or output`);
        }
      }, tick),
      setInterval(() => ws.ping(), this.limits.pingIntervalMs),
    );
  }

  private finish(open: OpenConsole, code: number, reason: string): void {
    if (open.finished) return;
    open.finished = true;
    this.consoles.delete(open);
    this.unwatchMachinesWhenIdle();
    for (const timer of open.timers) clearTimeout(timer);
    open.channel?.close(reason);
    const ws = open.ws;
    if (ws && ws.readyState === ws.OPEN) ws.close(code, closeReason(reason));
    if (open.channel) {
      this.deps.logger.info(
        {
          ...this.who(open),
          durationMs: Date.now() - open.startedAt,
          bytesFromGuest: open.fromGuest,
          bytesToGuest: open.toGuest,
          reason,
        },
        'console closed',
      );
      this.record(open, 'console.close', 'ok', {
        durationMs: Date.now() - open.startedAt,
        detail: { console: open.grant.kind, bytesFromGuest: open.fromGuest, bytesToGuest: open.toGuest, reason },
      });
    }
  }

  private record(
    open: OpenConsole,
    action: 'console.open' | 'console.close',
    outcome: AuditOutcome,
    extra: Partial<Pick<AuditEntry, 'durationMs' | 'error' | 'detail'>>,
  ): void {
    this.deps.audit?.record({
      time: new Date().toISOString(),
      action,
      outcome,
      user: open.presenter.user,
      ...(open.tokenId !== undefined ? { token: open.tokenId } : {}),
      address: open.remote,
      provider: open.grant.provider,
      machine: open.grant.id,
      machineName: open.grant.name,
      durationMs: 0,
      detail: { console: open.grant.kind },
      ...extra,
    });
  }

  private who(open: OpenConsole): Record<string, unknown> {
    return {
      user: open.presenter.user,
      via: open.presenter.kind,
      provider: open.grant.provider,
      machine: open.grant.name,
      id: open.grant.id,
      console: open.grant.kind,
    };
  }

  private send(ws: WebSocket, message: ReadyMessage | ErrorMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }
}

function sameHolder(a: ConsoleHolder, b: ConsoleHolder): boolean {
  return a.kind === 'session' && b.kind === 'session' ? a.sessionId === b.sessionId : a.kind === b.kind && a.user === b.user;
}

function describeDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;
}

/** Answers an upgrade that will not become a WebSocket with a plain HTTP response. */
function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${status} ${message}\n`;
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nCache-Control: no-store\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}
