import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatGoJson, sortedByKey } from '../../../server/formats/go/json.js';

describe('formatGoJson', () => {
  it('indents like Go json.MarshalIndent(v, "", "  ")', () => {
    expect(formatGoJson({ Message: 'Machine a (b) created' })).toBe('{\n  "Message": "Machine a (b) created"\n}');
    expect(formatGoJson({ A: [1, { B: null }], C: [], D: {} })).toBe(
      '{\n  "A": [\n    1,\n    {\n      "B": null\n    }\n  ],\n  "C": [],\n  "D": {}\n}',
    );
  });

  it('escapes strings as Go does', () => {
    expect(formatGoJson('<a href="x">&</a>\u2028')).toBe('"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e\\u2028"');
  });

  it('writes Maps in their order, so integer-like and __proto__ keys keep the sorted order', () => {
    const map = sortedByKey([
      ['9', 1],
      ['10', 2],
      ['__proto__', 3],
      ['B', 4],
    ]);
    expect([...map.keys()]).toEqual(['10', '9', 'B', '__proto__']);
    expect(formatGoJson(map)).toBe('{\n  "10": 2,\n  "9": 1,\n  "B": 4,\n  "__proto__": 3\n}');
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => formatGoJson({ a: Number.NaN })).toThrow(/NaN/);
    expect(() => formatGoJson({ a: 1n })).toThrow(/bigint/);
  });

  it('parses back to the same value as JSON.stringify would give', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(formatGoJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});
