/** parseTemplate: ties the parser and the evaluator together behind the public Template interface. */
import { executeTree } from './exec.js';
import { parseInto, type TreeSet } from './parser.js';

export interface ExecuteOptions {
  /** 'none' (default): exact Go text/template output. 'xml': every printed action value is XML-escaped. */
  escape?: 'none' | 'xml';
}

export interface Template {
  readonly name: string;
  execute(data: unknown, options?: ExecuteOptions): string;
}

class ParsedTemplate implements Template {
  constructor(
    readonly name: string,
    private readonly text: string,
    private readonly trees: TreeSet,
  ) {}

  execute(data: unknown, options: ExecuteOptions = {}): string {
    const escape = options.escape ?? 'none';
    if (escape !== 'none' && escape !== 'xml') {
      throw new TypeError(`execute: escape must be 'none' or 'xml', got ${JSON.stringify(escape)}`);
    }
    return executeTree({ text: this.text, parseName: this.name, trees: this.trees, escape }, this.name, data);
  }
}

/** Parses Go text/template source; throws TemplateError with Go's message on a syntax error. */
export function parseTemplate(name: string, text: string): Template {
  if (typeof name !== 'string' || typeof text !== 'string') {
    throw new TypeError('parseTemplate(name, text): both arguments must be strings');
  }
  const trees: TreeSet = new Map();
  parseInto(name, text, trees);
  return new ParsedTemplate(name, text, trees);
}
