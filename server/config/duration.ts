const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign, as Go accepts
  μs: 1e-3, // U+03BC greek mu, as Go accepts
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const ALLOWED_FORMS =
  'allowed: "0" or a sequence of number+unit like "24h", "10m", "60s", "1h30m", "1.5s", "500ms", "1d" ' +
  '(units ns, us, ms, s, m, h, d; no sign, no spaces)';

const SEGMENT = /(\d*)(?:\.(\d*))?([a-zµμ]+)/y;

/**
 * Parses a Go `time.ParseDuration` string, extended with `d` for days, into milliseconds.
 * Negative durations are refused: every duration in the config is a length of time.
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new Error(`invalid duration ${String(text)}: ${ALLOWED_FORMS}`);
  if (text === '0') return 0;
  if (text === '') throw new Error(`invalid duration "": empty; ${ALLOWED_FORMS}`);
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    SEGMENT.lastIndex = pos;
    const m = SEGMENT.exec(text);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: ${ALLOWED_FORMS}`);
    const [, whole = '', frac, unit = ''] = m;
    if (whole === '' && (frac === undefined || frac === '')) {
      throw new Error(`invalid duration ${JSON.stringify(text)}: a number is missing before "${unit}"; ${ALLOWED_FORMS}`);
    }
    const factor = UNIT_MS[unit];
    if (factor === undefined) {
      throw new Error(`invalid duration ${JSON.stringify(text)}: unknown unit "${unit}"; ${ALLOWED_FORMS}`);
    }
    total += Number(`${whole || '0'}.${frac ?? '0'}`) * factor;
    pos = SEGMENT.lastIndex;
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: too long; ${ALLOWED_FORMS}`);
  }
  return total;
}
