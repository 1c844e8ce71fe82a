/**
 * Where to go after logging in: only a path on this site. Anything that a browser could read as
 * another origin (`//host`, `/\host`, a scheme, control characters) falls back to `/`, checked on
 * the path as it will be sent (after `.`/`..` and %2e are resolved), not only on the input.
 */
const PROBE_ORIGIN = 'http://vmango.invalid';

export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next === '' || next.length > 2048) return '/';
  if (!next.startsWith('/') || next.startsWith('//')) return '/';
  // Browsers treat "\" as "/" in URLs, and strip tabs and newlines before parsing.
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== PROBE_ORIGIN) return '/';
  const normalised = `${url.pathname}${url.search}${url.hash}`;
  // "/a/..//evil" normalises to "//evil": a path a browser reads as another host.
  if (normalised.startsWith('//') || /^\/\\|[\\\u0000-\u001f\u007f]/.test(url.pathname)) return '/';
  return normalised;
}

/** The login page URL that brings the user back to `originalUrl`. */
export function loginUrlFor(originalUrl: string): string {
  const next = safeNextPath(originalUrl);
  return next === '/' ? '/login/' : `/login/?next=${encodeURIComponent(next)}`;
}
