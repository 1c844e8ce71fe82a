import { describe, expect, it } from 'vitest';
import { parseHcl, showPosition } from '../../server/config/hcl-parse.js';
import { hclToJson, ParserTimeout, releaseHclParser } from '../../server/config/hcl-sandbox.js';

function problemOf(text: string) {
  const result = parseHcl(text, 'vmango.conf');
  if (result.ok) throw new Error('expected a syntax error');
  return result.problem;
}

describe('parseHcl', () => {
  it('turns HCL into hcl2json data', () => {
    const result = parseHcl('a = 1\nplan "x" {\n  memory = 512\n}\n', 'f');
    expect(result).toEqual({ ok: true, value: { a: 1, plan: { x: [{ memory: 512 }] } } });
  });

  it('reports FILE:LINE:COL, the message and the offending line with a caret', () => {
    const problem = problemOf('listen = "127.0.0.1:8000"\nsession_secret = \n');
    expect(problem.path).toBe('vmango.conf:2:18');
    expect(problem.message).toBe(
      'Invalid expression; Expected the start of an expression, but found an invalid expression token.\n' +
        '    session_secret = \n' +
        '                     ^',
    );
  });

  it('reports an unterminated string at its line', () => {
    const problem = problemOf('a = 1\nb = "oops\nc = 2\n');
    expect(problem.path).toBe('vmango.conf:2:10');
    expect(problem.message).toMatch(/^Invalid multi-line string; Quoted strings may not be split over multiple lines/);
    expect(problem.message).toContain('    b = "oops\n');
  });

  it('reports a missing closing brace', () => {
    const problem = problemOf('debug = true\nplan "x" {\n  memory = 512 # {\n  cpus = 1\n');
    expect(problem.path).toBe('vmango.conf:5:1');
    expect(problem.message).toContain('the file ends inside the block opened on line 2: is its closing "}" missing?');
  });

  it('reports a key set twice', () => {
    const problem = problemOf('debug = true\ndebug = false\n');
    expect(problem.path).toBe('vmango.conf:2:1');
    expect(problem.message).toMatch(/^Attribute redefined; The argument "debug" was already set at :1,1-6/);
  });

  it('locates blocks of one type with different label counts, which the parser reports without position', () => {
    const problem = problemOf('plan "a" {\n  cpus = 1\n}\nplan {\n  cpus = 2\n}\n');
    expect(problem.path).toBe('vmango.conf:4:1');
    expect(problem.message).toMatch(/^'plan' block with 0 label\(s\) after one with 1/);
    expect(problem.message).toContain('    plan {\n    ^');
    const reversed = problemOf('plan {\n}\nplan "a" "b" {\n}\n');
    expect(reversed.path).toBe('vmango.conf:3:1');
  });

  it('keeps working after the parser panicked', () => {
    problemOf('plan "x" {}\nplan {}\n');
    expect(parseHcl('a = 2', 'f')).toEqual({ ok: true, value: { a: 2 } });
  });

  it('places the caret by grapheme and keeps tabs', () => {
    expect(showPosition('\tq = "😀😀" x', 1, 11)).toBe('    \tq = "😀😀" x\n    \t         ^');
    expect(showPosition('a', 5, 1)).toBe('    (end of file)');
  });
});

describe('hclToJson worker', () => {
  it('lets its worker go on release (resolving once it has ended), and starts a new one for the next parse', async () => {
    expect(hclToJson('a = 1')).toEqual({ ok: true, json: '{"a":1}' });
    await releaseHclParser();
    await releaseHclParser();
    expect(hclToJson('b = "x"')).toEqual({ ok: true, json: '{"b":"x"}' });
    expect(hclToJson('c = ')).toMatchObject({ ok: false });
    await releaseHclParser();
  });
});

describe('hclToJson time limit', () => {
  it('interrupts a parse that runs too long, and the next parse works', () => {
    const big = Array.from(
      { length: 3000 },
      (_, i) => `plan "p${i}" {\n  memory = ${i + 1}\n  cpus = 1\n  disk_size = 1\n}\n`,
    ).join('');
    expect(() => hclToJson(big, 1)).toThrow(ParserTimeout);
    expect(() => hclToJson(big, 1)).toThrow(/did not finish within 1 ms/);
    expect(hclToJson('a = 1')).toEqual({ ok: true, json: '{"a":1}' });
  });
});
