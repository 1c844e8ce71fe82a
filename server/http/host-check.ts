/**
 * Which Host headers the panel answers to. A browser tricked by DNS rebinding sends the
 * attacker's host name to the panel's address; refusing unknown names (421) keeps such pages from
 * reading or driving a panel on a private address.
 */
import type { RequestHandler } from 'express';
import { networkInterfaces, hostname } from 'node:os';
import { wantsJson } from './errors.js';

const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1'];
const ANY_INTERFACE = new Set(['', '0.0.0.0', '::']);

/** The host part of a Host header, lower case, without port, brackets or a trailing dot. */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1];
  const colon = value.lastIndexOf(':');
  const host = colon >= 0 && value.indexOf(':') === colon ? value.slice(0, colon) : value;
  return host.replace(/\.$/, '') || undefined;
}

/** `allowedHosts` from the config, or the default: the listen address, localhost names, and for every interface each local address and the host name. */
export function allowedHostSet(allowedHosts: readonly string[] | undefined, listenHost: string): ReadonlySet<string> | 'any' {
  if (allowedHosts) return allowedHosts.includes('*') ? 'any' : new Set(allowedHosts);
  const hosts = new Set(LOCAL_NAMES);
  if (!ANY_INTERFACE.has(listenHost)) {
    hosts.add(listenHost.toLowerCase());
  } else {
    for (const addresses of Object.values(networkInterfaces()))
      for (const { address } of addresses ?? []) hosts.add(address.toLowerCase());
    const name = hostname().toLowerCase();
    hosts.add(name);
    hosts.add(name.split('.')[0]!);
  }
  return hosts;
}

export function hostCheck(allowed: ReadonlySet<string> | 'any'): RequestHandler {
  return (req, res, next) => {
    if (allowed === 'any') return next();
    const host = hostOf(req.headers.host);
    if (host !== undefined && allowed.has(host)) return next();
    const shown = (req.headers.host ?? '(none)').slice(0, 100);
    const message = `this panel does not answer to the host ${JSON.stringify(shown)}; if that is how users reach it, add it to allowed_hosts`;
    res.status(421).set('Cache-Control', 'no-store');
    if (wantsJson(req)) res.json({ Error: message });
    else res.type('text/plain; charset=utf-8').send(`421 ${message}\n`);
  };
}
