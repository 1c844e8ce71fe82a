import { isIPv4, isIPv6 } from 'node:net';

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 8000 } as const;

const ALLOWED =
  'allowed: HOST:PORT with PORT 1-65535 and HOST an IPv4 address, a host name, an IPv6 address in brackets ' +
  '(e.g. "127.0.0.1:8000", "localhost:8000", "[::1]:8000"), or empty for every interface (":8000")';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Parses `listen` (HOST:PORT). Throws an Error saying what is allowed. IPv6 hosts come back without brackets. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const fail = (why: string): never => {
    throw new Error(`invalid listen address ${JSON.stringify(text)}: ${why}; ${ALLOWED}`);
  };
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
    if (!isIPv6(host)) fail(`"${host}" is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) fail('the port is missing');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) fail('an IPv6 address must be written in brackets');
    const looksNumeric = /^[\d.]+$/.test(host);
    if (host !== '' && !isIPv4(host) && (looksNumeric || !HOSTNAME.test(host)))
      fail(`"${host}" is not an IP address or host name`);
  }
  if (!/^\d{1,5}$/.test(portText)) fail(`port "${portText}" is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) fail(`port ${port} is out of range`);
  return { host, port };
}
