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
