import type { ConfigProblem } from './config-error.js';
import { hclToJson, ParserPanic, ParserTimeout } from './hcl-sandbox.js';

export type HclParseResult = { ok: true; value: unknown } | { ok: false; problem: ConfigProblem };

// One HCL diagnostic as printed by hcl.Diagnostic.Error(): "FILE:L,C-[L,]C: Summary; Detail".
// The parser is given no filename, so FILE is empty.
const FIRST_DIAGNOSTIC = /^parse config: \[:(\d+),(\d+)-(?:\d+,)?\d+: (.*?)(?= :\d+,\d+-(?:\d+,)?\d+: |\]$)/s;

/** Parses HCL text into plain JSON data (hcl2json's mapping), or one syntax problem. */
export function parseHcl(text: string, filename: string): HclParseResult {
  let raw;
  try {
    raw = hclToJson(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    if (err instanceof ParserPanic) return { ok: false, problem: conversionProblem(text, filename, err.message) };
    if (err instanceof ParserTimeout) return { ok: false, problem: { path: filename, message: err.message } };
    return { ok: false, problem: { path: filename, message: `cannot use the HCL parser: ${(err as Error).message}` } };
  }
  if (!raw.ok) {
    if (raw.errorMessage.startsWith('parse config: '))
      return { ok: false, problem: syntaxProblem(text, filename, raw.errorMessage) };
    return { ok: false, problem: conversionProblem(text, filename, raw.errorMessage) };
  }
  try {
    return { ok: true, value: JSON.parse(raw.json) as unknown };
  } catch (err) {
    return {
      ok: false,
      problem: { path: filename, message: `the HCL parser produced unreadable output: ${(err as Error).message}` },
    };
  }
}

function syntaxProblem(text: string, filename: string, errorMessage: string): ConfigProblem {
  const m = FIRST_DIAGNOSTIC.exec(errorMessage);
  if (!m) return { path: filename, message: `invalid HCL syntax: ${errorMessage}` };
  const line = Number(m[1]);
  const col = Number(m[2]);
  const description = m[3] ?? 'invalid HCL syntax';
  const hint = atEndOfFile(text, line) ? unclosedBlockHint(text) : '';
  return { path: `${filename}:${line}:${col}`, message: `${description}${hint}\n${showPosition(text, line, col)}` };
}

function atEndOfFile(text: string, line: number): boolean {
  const lines = text.split(/\r?\n/);
  return lines.slice(line - 1).every((l) => l.trim() === '');
}

/**
 * HCL reports a missing `}` as an odd error at the end of the file. Find the innermost brace left
 * open (skipping strings, comments and heredocs) so the message can point at it.
 */
function unclosedBlockHint(text: string): string {
  const open: number[] = [];
  let line = 1;
  let heredocEnd: string | undefined;
  for (const lineText of text.split(/\r?\n/)) {
    if (heredocEnd !== undefined) {
      if (lineText.trim() === heredocEnd) heredocEnd = undefined;
      line++;
      continue;
    }
    const code = lineText.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/(#|\/\/).*$/, '');
    const heredoc = /<<-?([A-Za-z_][\w-]*)\s*$/.exec(code);
    for (const ch of code) {
      if (ch === '{') open.push(line);
      else if (ch === '}') open.pop();
    }
    if (heredoc) heredocEnd = heredoc[1];
    line++;
  }
  const innermost = open.at(-1);
  return innermost === undefined
    ? ''
    : ` (the file ends inside the block opened on line ${innermost}: is its closing "}" missing?)`;
}

const BLOCK_HEADER = /^\s*([A-Za-z_][\w-]*)((?:\s+(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*))*)\s*\{/;
const BLOCK_LABEL = /"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*/g;

/*
 * The text is valid HCL but hcl2json cannot turn it into JSON. The one known cause is blocks of
 * one type declared with different numbers of labels (`plan {` and `plan "x" {`); hcl2json then
 * fails without a position, so find the first such block header ourselves.
 */
function conversionProblem(text: string, filename: string, reason: string): ConfigProblem {
  const firstLabelCount = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, lineText] of lines.entries()) {
    const m = BLOCK_HEADER.exec(lineText);
    if (!m || m[1] === undefined) continue;
    const type = m[1];
    const labels = (m[2] ?? '').match(BLOCK_LABEL)?.length ?? 0;
    const first = firstLabelCount.get(type);
    if (first === undefined) {
      firstLabelCount.set(type, labels);
    } else if (first !== labels) {
      const col = lineText.indexOf(type) + 1;
      return {
        path: `${filename}:${index + 1}:${col}`,
        message:
          `'${type}' block with ${labels} label(s) after one with ${first}: blocks of one type must all have the same labels, ` +
          `e.g. ${type} "NAME" { … }\n${showPosition(text, index + 1, col)}`,
      };
    }
  }
  return {
    path: filename,
    message: `the HCL parser could not convert this file (${reason}); check that blocks of one type all have the same number of labels`,
  };
}

/** The offending line, indented, with a caret under column `col` (HCL counts columns in grapheme clusters). */
export function showPosition(text: string, line: number, col: number): string {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lineText = lines[line - 1];
  if (lineText === undefined) return '    (end of file)';
  const graphemes = Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(lineText), (s) => s.segment);
  const visible = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?');
  const before = graphemes
    .slice(0, Math.max(0, col - 1))
    .map((g) => (g === '\t' ? '\t' : ' '))
    .join('');
  return `    ${visible(lineText)}\n    ${before}^`;
}
