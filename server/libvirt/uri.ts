/**
 * The URI handed to virConnectOpenAuth. For the ssh transport it adds no_tty=1 so
 * ssh never stops to ask for a password or passphrase on a terminal (key-based
 * login only); every other URI is used as given.
 */
export function nonInteractiveUri(uri: string): string {
  const scheme = /^([a-z0-9]+)\+ssh:\/\//i.exec(uri);
  if (scheme === null || /[?&]no_tty=/.test(uri)) return uri;
  return `${uri}${uri.includes('?') ? '&' : '?'}no_tty=1`;
}

/**
 * A libvirt URI fit to show to users and to put in error messages: no password in the user part
 * and no query string (it can name key files, sockets and other local details).
 */
export function redactLibvirtUri(uri: string): string {
  const match = /^([a-z0-9+.-]+:\/\/)([^/?#]*)([^?#]*)/i.exec(uri);
  if (!match) return uri.split('?')[0] ?? '';
  const [, scheme = '', authority = '', path = ''] = match;
  const at = authority.lastIndexOf('@');
  const user = at === -1 ? '' : authority.slice(0, at).split(':')[0] + '@';
  const host = at === -1 ? authority : authority.slice(at + 1);
  return `${scheme}${user}${host}${path}`;
}
