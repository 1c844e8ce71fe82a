/** Parse tree nodes of Go text/template; toString() matches Go's Node.String() (used in error messages). */
import { goQuote, goQuotePrec } from './strconv.js';

export interface NodeBase {
  /** offset in the template text */
  pos: number;
}

export interface TextNode extends NodeBase {
  type: 'text';
  text: string;
}
export interface CommentNode extends NodeBase {
  type: 'comment';
  text: string;
}
export interface ListNode extends NodeBase {
  type: 'list';
  nodes: Node[];
}
export interface ActionNode extends NodeBase {
  type: 'action';
  line: number;
  pipe: PipeNode;
}
export interface PipeNode extends NodeBase {
  type: 'pipe';
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends NodeBase {
  type: 'command';
  args: Node[];
}
export interface IdentifierNode extends NodeBase {
  type: 'identifier';
  ident: string;
}
export interface VariableNode extends NodeBase {
  type: 'variable';
  ident: string[];
}
export interface DotNode extends NodeBase {
  type: 'dot';
}
export interface NilNode extends NodeBase {
  type: 'nil';
}
export interface FieldNode extends NodeBase {
  type: 'field';
  ident: string[];
}
export interface ChainNode extends NodeBase {
  type: 'chain';
  node: Node;
  field: string[];
}
export interface BoolNode extends NodeBase {
  type: 'bool';
  value: boolean;
}
export interface StringNode extends NodeBase {
  type: 'string';
  quoted: string;
  text: string;
}
export interface NumberNode extends NodeBase {
  type: 'number';
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int64: bigint;
  uint64: bigint;
  float64: number;
}
export interface BranchNode extends NodeBase {
  type: 'if' | 'range' | 'with';
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface TemplateNode extends NodeBase {
  type: 'template';
  line: number;
  name: string;
  pipe: PipeNode | null;
}
export interface BreakNode extends NodeBase {
  type: 'break';
  line: number;
}
export interface ContinueNode extends NodeBase {
  type: 'continue';
  line: number;
}
/** Internal markers returned by the parser for {{end}} and {{else}}; never in a finished tree. */
export interface EndNode extends NodeBase {
  type: 'end';
}
export interface ElseNode extends NodeBase {
  type: 'else';
  line: number;
}

export type Node =
  | TextNode
  | CommentNode
  | ListNode
  | ActionNode
  | PipeNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | StringNode
  | NumberNode
  | BranchNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | EndNode
  | ElseNode;

export function nodeString(n: Node): string {
  switch (n.type) {
    case 'text':
      // Go: fmt.Sprintf("%.10q...", text) style
      return [...n.text].length > 10 ? goQuotePrec(n.text, 10) + '...' : goQuote(n.text);
    case 'comment':
      return '{{' + n.text + '}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'action':
      return '{{' + nodeString(n.pipe) + '}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s += n.decl.map(nodeString).join(', ') + ' := ';
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? '(' + nodeString(a) + ')' : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return n.ident.map((id) => '.' + id).join('');
    case 'chain': {
      const base = n.node.type === 'pipe' ? '(' + nodeString(n.node) + ')' : nodeString(n.node);
      return base + n.field.map((f) => '.' + f).join('');
    }
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'string':
      return n.quoted;
    case 'number':
      return n.text;
    case 'if':
    case 'range':
    case 'with': {
      let s = '{{' + n.type + ' ' + nodeString(n.pipe) + '}}' + nodeString(n.list);
      if (n.elseList) s += '{{else}}' + nodeString(n.elseList);
      return s + '{{end}}';
    }
    case 'template':
      return '{{template ' + goQuote(n.name) + (n.pipe ? ' ' + nodeString(n.pipe) : '') + '}}';
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}
