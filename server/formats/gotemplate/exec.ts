/** Executes parsed templates, a port of text/template/exec.go (Go 1.19) onto the JS value model. */
import type {
  BranchNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { BUILTINS, BuiltinError, truth, type ParamType } from './builtins.js';
import { TemplateError } from './errors.js';
import { sprint } from './fmt.js';
import {
  NO_VALUE,
  findMethod,
  interfaceTyped,
  isExported,
  isPointerStruct,
  isStructLike,
  kindOf,
  sortedMapKeys,
  structFields,
  typeName,
  type Value,
} from './gotypes.js';
import type { TreeSet } from './parser.js';
import { goQuote } from './strconv.js';
import { GoFloat, GoNumber, GoTypedNil, TrustedXml } from './values.js';
import { xmlEscapeChecked } from './xml-escape.js';

const MAX_EXEC_DEPTH = 100000;
/** Go's missingVal: "no final argument was passed down the pipeline". */
const MISSING: unique symbol = Symbol('missing');
type Final = Value | typeof MISSING;

class BreakSignal {}
class ContinueSignal {}

export interface ExecContext {
  /** the text all trees were parsed from, for error positions */
  text: string;
  /** the name used in error locations (Go's ParseName) */
  parseName: string;
  trees: TreeSet;
  escape: 'none' | 'xml';
}

/** Go's ErrorContext: line and 0-based byte column of a node. */
export function errorPosition(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, pos);
  const lastNL = before.lastIndexOf('\n');
  const lineText = lastNL === -1 ? before : before.slice(lastNL + 1);
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  return { line, col: Buffer.byteLength(lineText, 'utf8') };
}

interface Variable {
  name: string;
  value: Value;
}

class State {
  node: Node | null = null;
  out: string[] = [];

  constructor(
    private readonly ctx: ExecContext,
    private readonly tmplName: string,
    private vars: Variable[],
    private readonly depth: number,
    out: string[],
  ) {
    this.out = out;
  }

  at(node: Node): void {
    this.node = node;
  }

  errorf(msg: string): never {
    const name = this.tmplName;
    if (this.node === null) {
      throw new TemplateError(`template: ${name}: ${msg}`, name, 0);
    }
    const { line, col } = errorPosition(this.ctx.text, this.node.pos);
    const location = `${this.ctx.parseName}:${line}:${col}`;
    throw new TemplateError(
      `template: ${location}: executing ${goQuote(name)} at <${nodeString(this.node)}>: ${msg}`,
      this.ctx.parseName,
      line,
      col,
    );
  }

  // --- variables

  private push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }
  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Value): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // --- walking

  walk(dot: Value, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'comment':
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, node);
        return;
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(dot: Value, node: BranchNode): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(val)) {
        this.walk(node.type === 'with' ? val : dot, node.list);
      } else if (node.elseList) {
        this.walk(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: Value, r: BranchNode): void {
    this.at(r);
    const outerMark = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const oneIteration = (index: Value, elem: Value): void => {
        if (r.pipe.decl.length > 0) this.setTopVar(1, elem);
        if (r.pipe.decl.length > 1) this.setTopVar(2, index);
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (!(e instanceof ContinueSignal)) throw e;
        } finally {
          this.pop(mark);
        }
      };
      const kind = kindOf(val);
      if (kind === 'slice') {
        const a = val as unknown[];
        if (a.length > 0) {
          const untyped = typeof (a as { goTypeName?: unknown }).goTypeName !== 'string';
          for (let i = 0; i < a.length; i++) oneIteration(i, untyped ? markInterfaceTyped(a[i]) : (a[i] ?? null));
          return;
        }
      } else if (kind === 'map') {
        const m = val as Map<unknown, unknown>;
        if (m.size > 0) {
          for (const k of sortedMapKeys(m)) oneIteration(k, markInterfaceTyped(m.get(k)));
          return;
        }
      } else if (kind !== 'invalid' && kind !== 'nil') {
        this.errorf(`range can't iterate over ${sprint([val])}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (!(e instanceof BreakSignal)) throw e;
    } finally {
      this.pop(outerMark);
    }
  }

  private walkTemplate(dot: Value, t: TemplateNode): void {
    this.at(t);
    const tree = this.ctx.trees.get(t.name);
    if (tree === undefined) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth === MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : NO_VALUE;
    const inner = new State(this.ctx, t.name, [{ name: '$', value: newDot }], this.depth + 1, this.out);
    try {
      inner.walk(newDot, tree);
    } catch (e) {
      // JS runs out of stack long before Go's 100000 nested templates; report it the way Go reports the limit.
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        this.at(t);
        this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
      }
      throw e;
    }
  }

  // --- evaluation

  evalPipeline(dot: Value, pipe: PipeNode): Value {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // a nil interface coming out of a command is an invalid value from here on (exec.go: "lovely!")
      if (value === null || value === undefined) value = NO_VALUE;
    }
    const result = value === MISSING ? NO_VALUE : value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, result);
      else this.push(variable.ident[0]!, result);
    }
    return result;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
    }
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    const firstWord = cmd.args[0]!;
    switch (firstWord.type) {
      case 'field':
        return this.evalFieldNode(dot, firstWord, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, firstWord, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, firstWord, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, firstWord);
      case 'variable':
        return this.evalVariableNode(dot, firstWord, cmd.args, final);
    }
    this.at(firstWord);
    this.notAFunction(cmd.args, final);
    switch (firstWord.type) {
      case 'bool':
        return firstWord.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(firstWord);
      case 'string':
        return firstWord.text;
    }
    return this.errorf(`can't evaluate command ${goQuote(nodeString(firstWord))}`);
  }

  private idealConstant(c: NumberNode): Value {
    this.at(c);
    const isHexInt = c.text.length > 2 && c.text[0] === '0' && (c.text[1] === 'x' || c.text[1] === 'X') && !/[pP]/.test(c.text);
    const isRuneInt = c.text[0] === "'";
    if (c.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(c.text)) return new GoFloat(c.float64);
    if (c.isInt) {
      const n = Number(c.int64);
      return Number.isSafeInteger(n) ? n : new GoNumber(c.int64, 'int');
    }
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return NO_VALUE;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: Node[] | null, final: Final): Value {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: Node[] | null, final: Final): Value {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, 'none', chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Value, variable: VariableNode, args: Node[] | null, final: Final): Value {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [variable], final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Value, receiver: Value, node: Node, ident: string[], args: Node[] | null, final: Final): Value {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i]!, node, null, MISSING, receiver);
    return this.evalField(dot, ident[n - 1]!, node, args, final, receiver);
  }

  private evalFunction(dot: Value, node: IdentifierNode, cmd: Node, args: Node[] | null, final: Final): Value {
    this.at(node);
    const name = node.ident;
    const builtin = BUILTINS[name];
    if (builtin === undefined) return this.errorf(`${goQuote(name)} is not a defined function`);
    return this.evalBuiltinCall(dot, name, cmd, args, final);
  }

  private evalField(dot: Value, fieldName: string, node: Node, args: Node[] | null, final: Final, receiver: Value): Value {
    if (receiver === NO_VALUE) return NO_VALUE;
    const typ =
      typeof receiver === 'object' && receiver !== null && interfaceTyped.has(receiver) ? 'interface {}' : typeName(receiver);
    if (receiver === null || receiver === undefined) this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
    const method = findMethod(receiver, fieldName);
    if (method) return this.evalMethodCall(dot, receiver, method, node, fieldName, args, final);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (isStructLike(receiver)) {
      const own = structFields(receiver as object).find(([k]) => k === fieldName);
      if (own) {
        if (!isExported(fieldName)) this.errorf(`${fieldName} is an unexported field of struct type ${typ}`);
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return own[1] === undefined ? null : own[1];
      }
    } else if (receiver instanceof Map) {
      const keyType = receiver.size === 0 ? 'string' : typeName(receiver.keys().next().value);
      if (keyType === 'string') {
        if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
        if (!receiver.has(fieldName)) return NO_VALUE;
        return markInterfaceTyped(receiver.get(fieldName));
      }
    } else if (receiver instanceof GoTypedNil) {
      if (receiver.fields === undefined || receiver.fields.includes(fieldName)) {
        this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
      }
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
  }

  private evalMethodCall(
    dot: Value,
    receiver: Value,
    fn: (...a: unknown[]) => unknown,
    node: Node,
    name: string,
    args: Node[] | null,
    final: Final,
  ): Value {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    if (numIn !== fn.length) this.errorf(`wrong number of args for ${name}: want ${fn.length} got ${numIn}`);
    const argv = argNodes.map((a) => this.evalArg(dot, 'any', a));
    if (final !== MISSING) argv.push(this.validateType(final, 'any'));
    let result: unknown;
    try {
      result = fn.apply(receiver, argv);
    } catch (e) {
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return result === undefined ? null : result;
  }

  private evalBuiltinCall(dot: Value, name: string, node: Node, args: Node[] | null, final: Final): Value {
    const b = BUILTINS[name]!;
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    let numFixed = argNodes.length;
    if (b.variadic) {
      numFixed = b.params.length - 1;
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${b.params.length - 1} got ${argNodes.length}`);
      }
    } else if (numIn !== b.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${b.params.length} got ${numIn}`);
    }
    if (name === 'and' || name === 'or') {
      let v: Value = NO_VALUE;
      for (const arg of argNodes) {
        v = this.evalArg(dot, 'value', arg);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) argv.push(this.evalArg(dot, b.params[i]!, argNodes[i]!));
    if (b.variadic) {
      const t = b.params[b.params.length - 1]!;
      for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, t, argNodes[i]!));
    }
    if (final !== MISSING) {
      let t = b.params[b.params.length - 1]!;
      if (b.variadic && numIn - 1 < numFixed) t = b.params[numIn - 1]!;
      argv.push(this.validateType(final, t));
    }
    try {
      return b.fn(argv);
    } catch (e) {
      if (e instanceof BuiltinError) {
        this.at(node);
        this.errorf(`error calling ${name}: ${e.message}`);
      }
      throw e;
    }
  }

  private validateType(value: Value, typ: ParamType | 'none'): Value {
    if (value === NO_VALUE) {
      if (typ === 'none' || typ === 'value') return NO_VALUE;
      if (typ === 'any') return null;
      this.errorf(`invalid value; expected ${typ}`);
    }
    if (typ === 'string' && typeof value !== 'string') {
      this.errorf(`wrong type for value; expected string; got ${typeName(value)}`);
    }
    return value;
  }

  private evalArg(dot: Value, typ: ParamType | 'none', n: Node): Value {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ === 'string') this.errorf('cannot assign nil to string');
        return null;
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    if (typ === 'string') {
      if (n.type === 'string') return n.text;
      return this.errorf(`expected string; found ${nodeString(n)}`);
    }
    switch (n.type) {
      case 'bool':
        return n.value;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
    return this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(node: Node, v: Value): void {
    this.at(node);
    if (kindOf(v) === 'func') this.errorf(`can't print ${nodeString(node)} of type ${typeName(v)}`);
    if (this.ctx.escape === 'xml' && v instanceof TrustedXml) {
      this.out.push(v.xml);
      return;
    }
    // Go's printableValue dereferences a pointer before printing: *T prints as {..}, not &{..}
    const text = v === NO_VALUE ? '<no value>' : sprint([v], isPointerStruct(v));
    if (this.ctx.escape === 'xml') {
      const escaped = xmlEscapeChecked(text);
      if (typeof escaped !== 'string') this.errorf(escaped.error);
      this.out.push(escaped);
      return;
    }
    this.out.push(text);
  }
}

/** Runs the tree `name` with `data` as dot and `$`. */
export function executeTree(ctx: ExecContext, name: string, data: unknown): string {
  const tree: ListNode | undefined = ctx.trees.get(name);
  const dot: Value = data === undefined || data === null ? NO_VALUE : data;
  const out: string[] = [];
  const s = new State(ctx, name, [{ name: '$', value: dot }], 0, out);
  if (tree === undefined) return s.errorf(`${goQuote(name)} is an incomplete or empty template`);
  s.walk(dot, tree);
  return out.join('');
}

function markInterfaceTyped(v: Value): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') interfaceTyped.add(v);
  return v;
}
