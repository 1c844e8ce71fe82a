/**
 * A libvirt URI fit to show to users: no password in the user part and no
 * query string (it can name key files, sockets and other local details).
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
