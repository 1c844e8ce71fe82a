import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../server/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['24h', 86_400_000],
    ['10m', 600_000],
    ['60s', 60_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['500ms', 500],
    ['2us', 0.002],
    ['2µs', 0.002],
    ['1000000ns', 1],
    ['1d2h3m4s5ms', 93_784_005],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', '10', 'h', '1x', '1 h', ' 1h', '-1h', '+1h', '1h-', '.s', '1.2.3s', '1hm', 'abc', '1H', '1e3s'])(
    'refuses %j and names the allowed forms',
    (text) => {
      expect(() => parseDuration(text)).toThrow(/invalid duration .*allowed: "0" or a sequence of number\+unit/);
    },
  );

  it('refuses durations too long to count in milliseconds', () => {
    expect(() => parseDuration('99999999999999999999d')).toThrow(/too long/);
  });
});
