import { describe, expect, it } from 'vitest';
import type { ParsedBody } from '../../server/http/body.js';
import { HttpError } from '../../server/http/http-error.js';
import { requestFields, requestFieldValues } from '../../server/http/request-fields.js';

const form = (...fields: [string, string][]): ParsedBody => ({ kind: 'form', fields });
const json = (value: unknown): ParsedBody => ({ kind: 'json', value });

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    return (err as Error).message;
  }
  throw new Error('no refusal');
}

describe('the fields of a small request', () => {
  const ALLOWED = ['Name', 'Keys', 'Extra'] as const;
  const RULES = { repeatable: ['Keys'], jsonAliases: { KeyList: 'Keys' }, formOnly: ['Extra'] };

  it('matches names without regard to case, skips the CSRF token, and keeps every value of a repeatable field', () => {
    const fields = requestFieldValues(
      form(['NAME', 'a'], ['csrf', 't'], ['keys', 'k1'], ['Keys', 'k2'], ['extra', 'x']),
      ALLOWED,
      RULES,
    );
    expect([...fields]).toEqual([
      ['Name', ['a']],
      ['Keys', ['k1', 'k2']],
      ['Extra', ['x']],
    ]);
    expect(requestFields(json({ name: 'b', KEYLIST: ['k'] }), ALLOWED, RULES)).toEqual(
      new Map<string, unknown>([
        ['Name', 'b'],
        ['Keys', ['k']],
      ]),
    );
  });

  it('refuses unknown, repeated, form-only-in-JSON and prototype-named fields, naming what is allowed', () => {
    expect(refusal(() => requestFields(form(['Nope', '1']), ALLOWED))).toBe(
      'unknown field "Nope"; the fields are Name, Keys, Extra',
    );
    expect(refusal(() => requestFields(form(['Name', 'a'], ['name', 'b']), ALLOWED, RULES))).toBe(
      'the field Name is given twice',
    );
    expect(refusal(() => requestFieldValues(json({ Keys: ['a'], KeyList: ['b'] }), ALLOWED, RULES))).toBe(
      'the field Keys is given twice',
    );
    expect(refusal(() => requestFields(json({ Extra: 'x' }), ALLOWED, { ...RULES, described: 'Name and Keys' }))).toBe(
      'unknown field "Extra"; the fields are Name and Keys',
    );
    expect(refusal(() => requestFields(form(['KeyList', 'k']), ALLOWED, RULES))).toMatch(/^unknown field "KeyList"/);
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(refusal(() => requestFields(form([name, 'x']), ALLOWED))).toMatch(/^unknown field/);
    }
    expect(refusal(() => requestFields(json(['Name']), ALLOWED))).toBe(
      'the request body must be a JSON object with Name, Keys, Extra',
    );
  });
});
