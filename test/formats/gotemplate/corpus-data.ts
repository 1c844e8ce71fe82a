/** Builds JS data from the corpus' tagged JSON encoding, mirroring tools/gotemplate-golden/main.go. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GoFloat, GoFunc, GoNumber, GoTime } from '../../../server/formats/gotemplate/index.js';
import { vmangoTemplateContext, type TemplateContextInput } from '../../../server/services/machines/template-context.js';

export interface CorpusCase {
  name: string;
  template: string;
  data: unknown;
  fails: boolean;
}
export interface GoldenCase {
  name: string;
  output?: string;
  error?: string;
}

export const CORPUS_DIR = join(import.meta.dirname, 'corpus');
export const GOLDEN_DIR = join(import.meta.dirname, 'golden');

export function corpusFiles(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readCases<T>(dir: string, file: string): T[] {
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: T[] }).cases;
}

/** The method-bearing struct type *main.T of the Go generator. */
class T {
  static readonly goTypeName = '*main.T';
  constructor(
    public X: number,
    public S: string,
  ) {}
  Double(): number {
    return 2 * this.X;
  }
  Greet(name: string): string {
    return 'hi ' + name + ' from ' + this.S;
  }
  Fail(): string {
    throw new Error('method failed');
  }
  Sum(a: number, b: number): number {
    return a + b;
  }
}

const funcs: Record<string, GoFunc> = {
  add: new GoFunc((a: number, b: number) => a + b, 'func(int, int) int'),
  hello: new GoFunc(() => 'hello', 'func() string'),
  fail: new GoFunc(() => {
    throw new Error('func failed');
  }, 'func() (string, error)'),
};

export function buildData(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(buildData);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length !== 1) throw new Error(`tagged value must have exactly one key: ${JSON.stringify(v)}`);
  const [tag, body] = entries[0]!;
  switch (tag) {
    case '$float':
      return new GoFloat(body as number);
    case '$uint64':
      return new GoNumber(BigInt(String(body === 2 ** 64 ? '18446744073709551615' : body)), 'uint64');
    case '$int64':
      return BigInt(body as string);
    case '$map':
      return new Map(Object.entries(body as Record<string, unknown>).map(([k, e]) => [k, buildData(e)]));
    case '$intmap':
      return new Map((body as [number, unknown][]).map(([k, e]) => [k, buildData(e)]));
    case '$struct':
      return Object.fromEntries((body as [string, unknown][]).map(([k, e]) => [k, buildData(e)]));
    case '$T': {
      const b = body as { X: number; S: string };
      return new T(b.X, b.S);
    }
    case '$func': {
      const f = funcs[body as string];
      if (!f) throw new Error(`unknown func ${String(body)}`);
      return f;
    }
    case '$time': {
      const s = body as string;
      const frac = /\.(\d+)Z$/.exec(s)?.[1] ?? '';
      return new GoTime(new Date(s), Number(frac.padEnd(9, '0')));
    }
    case '$vmango': {
      const input = structuredClone(body) as TemplateContextInput & { image: { date: string | Date } };
      input.image.date = new Date(input.image.date as string);
      return vmangoTemplateContext(input);
    }
  }
  throw new Error(`unknown tag ${tag}`);
}
