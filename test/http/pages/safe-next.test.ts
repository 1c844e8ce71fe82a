import { describe, expect, it } from 'vitest';
import { loginUrlFor, safeNextPath } from '../../../server/http/session/safe-next.js';

describe('safeNextPath', () => {
  it('keeps local paths with their query and fragment', () => {
    expect(safeNextPath('/machines/')).toBe('/machines/');
    expect(safeNextPath('/machines/?q=web&state=running')).toBe('/machines/?q=web&state=running');
    expect(safeNextPath('/machines/DEMO/abc/#ssh')).toBe('/machines/DEMO/abc/#ssh');
  });

  it.each([
    '//evil.example/',
    '///evil.example/',
    '/\\evil.example/',
    '\\\\evil.example',
    '/\\/evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    'evil.example',
    '',
    '/\t/evil.example',
    '/\n/evil.example',
    ' //evil.example',
    'http:/evil.example',
    '/%5C%5Cevil.example'.replace('%5C%5C', '\\\\'),
  ])('refuses %j', (next) => {
    expect(safeNextPath(next)).toBe('/');
  });

  it('refuses non-strings', () => {
    expect(safeNextPath(undefined)).toBe('/');
    expect(safeNextPath(['/a', '/b'])).toBe('/');
  });

  it('builds URL-encoded login links', () => {
    expect(loginUrlFor('/machines/?q=a b&state=running')).toBe(
      `/login/?next=${encodeURIComponent('/machines/?q=a%20b&state=running')}`,
    );
    expect(loginUrlFor('/')).toBe('/login/');
  });
});
