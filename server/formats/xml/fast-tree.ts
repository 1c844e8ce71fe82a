/**
 * A fast reader for the XML libvirt writes, producing exactly the tree saxes gives (see xml-tree.ts)
 * for the documents it accepts, and refusing (undefined) everything else, which then goes to saxes.
 *
 * It accepts a strict subset of well-formed XML 1.0: ASCII names; elements and attributes (quoted
 * with ' or "); text and attribute values with the five predefined entities and character
 * references; CDATA sections inside the root; comments. It refuses anything it does not read the
 * way saxes does, and everything saxes would reject: a DOCTYPE, an XML declaration or processing
 * instruction, a carriage return (saxes normalises line ends), a character XML does not allow, an
 * unknown entity, a duplicate attribute, a mismatched or unclosed tag, text outside the root.
 * So whether a document is read here or by saxes, the tree (or saxes's error) is the same; the
 * differential tests (test/formats/xml/fast-tree.test.ts) hold it to that.
 *
 * A reader that needs only some elements passes a KeepSpec: the whole document is still checked,
 * but only the kept elements are built (a pruned tree), which is most of the saving on a domain's
 * XML, where most devices are of no interest.
 *
 * Kept strings (attribute values, text) are copied out of the document rather than left as V8
 * slices of it, so what a caller keeps does not keep the whole document alive.
 */

export interface TreeElement {
  name: string;
  localName: string;
  prefix: string;
  attributes: Record<string, string>;
  children: TreeElement[];
  text: string;
  parent: TreeElement | undefined;
}

/**
 * Which children of an element to build, by local name (any prefix): `true` builds that child's
 * whole subtree, a KeepSpec builds the child (attributes and text) and, of its children, those the
 * spec names. Children not named are checked but not built.
 */
export interface KeepSpec {
  readonly [localName: string]: KeepSpec | true;
}

/**
 * Characters XML 1.0 does not allow anywhere, and a carriage return (saxes turns it into a line
 * feed; such documents are left to it): controls other than tab and line feed, U+FFFE, U+FFFF and
 * unpaired surrogates.
 */
const REFUSED_CHARACTER = /[\0-\x08\x0B-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ONLY_WHITE_SPACE = /^[ \t\n]*$/;
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/y;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * A whole start tag whose attribute values hold no reference, tab or line feed (nearly all of
 * libvirt's): name, attributes (each after white space), `>` or `/>`.
 */
const SIMPLE_TAG =
  /<([A-Za-z_][A-Za-z0-9_.:-]*)((?:[ \t\n]+[A-Za-z_][A-Za-z0-9_.:-]*[ \t\n]*=[ \t\n]*(?:"[^"<&\t\n]*"|'[^'<&\t\n]*'))*)[ \t\n]*(\/?)>/y;
/** One attribute of SIMPLE_TAG's attribute part. */
const SIMPLE_ATTRIBUTE = /[ \t\n]+([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\n]*=[ \t\n]*(?:"([^"]*)"|'([^']*)')/g;
/**
 * An attribute name that occurs again later in SIMPLE_TAG's attribute part. It may also find a
 * name-like text inside a value (the document then goes to saxes, which is only slower), but never
 * misses a real duplicate.
 */
const REPEATED_NAME = /[ \t\n]([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\n]*=[^]*[ \t\n]\1[ \t\n]*=/;

/** The attributes of SIMPLE_TAG's attribute part, or undefined for a repeated name. */
function simpleAttributes(part: string): Record<string, string> | undefined {
  const attributes = Object.create(null) as Record<string, string>;
  if (part === '') return attributes;
  SIMPLE_ATTRIBUTE.lastIndex = 0;
  for (let m = SIMPLE_ATTRIBUTE.exec(part); m; m = SIMPLE_ATTRIBUTE.exec(part)) {
    const name = m[1]!;
    if (attributes[name] !== undefined) return undefined;
    attributes[name] = detached(m[2] ?? m[3]!);
  }
  return attributes;
}

/** Name characters of the ASCII subset: 1 may start a name, 2 may only continue one (0 for any other UTF-16 unit). */
const NAME_CHAR = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) NAME_CHAR[c] = 1;
  else if (/[0-9.:-]/.test(ch)) NAME_CHAR[c] = 2;
}

/** XML 1.0's Char production, for character references. */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** `raw` with its references decoded, or undefined for an `&` that is not a reference saxes knows. */
function decodeReferences(raw: string): string | undefined {
  let out = '';
  let from = 0;
  for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', from)) {
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(raw);
    if (!m) return undefined;
    let decoded: string;
    if (m[1] !== undefined) decoded = PREDEFINED[m[1]]!;
    else {
      const code = m[2] !== undefined ? parseInt(m[2], 10) : parseInt(m[3]!, 16);
      if (!isXmlChar(code)) return undefined;
      decoded = String.fromCodePoint(code);
    }
    out += raw.slice(from, amp) + decoded;
    from = REFERENCE.lastIndex;
  }
  return from === 0 ? raw : out + raw.slice(from);
}

/**
 * A copy of `s` that does not keep the string it was cut from alive (V8 keeps substrings of 13
 * characters or more as slices of their parent; a cons string flattened and sliced is a slice of
 * a fresh copy instead).
 */
export function detached(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** The index after the name starting at `at`, or `at` when no name starts there. */
function nameEnd(xml: string, at: number): number {
  const length = xml.length;
  if (at >= length || NAME_CHAR[xml.charCodeAt(at)] !== 1) return at;
  let i = at + 1;
  while (i < length && NAME_CHAR[xml.charCodeAt(i)] !== 0) i++;
  return i;
}

function skipWhiteSpace(xml: string, at: number): number {
  for (;;) {
    const c = xml.charCodeAt(at);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09) return at;
    at++;
  }
}

function sameName(xml: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let i = 0; a + i < aEnd; i++) if (xml.charCodeAt(a + i) !== xml.charCodeAt(b + i)) return false;
  return true;
}

/** Whether `c` occurs in xml[start, end). */
function within(xml: string, c: string, start: number, end: number): boolean {
  const found = xml.indexOf(c, start);
  return found >= 0 && found < end;
}

/**
 * The attributes of the open tag being read, as positions in the document: for each, name start
 * and end, value start and end, and whether the value needs decoding (1) or is as written (0).
 */
const scratch: number[] = [];
let scratchLength = 0;

/** What scanAttributes needs to know of the whole document. */
interface DocumentFacts {
  hasReferences: boolean;
  hasTabs: boolean;
}

/**
 * Reads the attributes and the end of the open tag whose name ends at `at` into `scratch`; returns
 * the index after `>` (negated when the tag closed itself with `/>`), or 0 to leave the document to
 * saxes. `nextLt` is the first `<` after the tag's own (a value must end before it).
 */
function scanAttributes(xml: string, at: number, nextLt: number, doc: DocumentFacts): number {
  scratchLength = 0;
  for (;;) {
    const afterSpace = skipWhiteSpace(xml, at);
    const code = xml.charCodeAt(afterSpace);
    if (code === 0x3e /* > */) return afterSpace + 1;
    if (code === 0x2f /* / */) return xml.charCodeAt(afterSpace + 1) === 0x3e ? -(afterSpace + 2) : 0;
    // An attribute, which must be preceded by white space.
    if (afterSpace === at) return 0;
    const nameStop = nameEnd(xml, afterSpace);
    if (nameStop === afterSpace) return 0;
    let i = skipWhiteSpace(xml, nameStop);
    if (xml.charCodeAt(i) !== 0x3d /* = */) return 0;
    i = skipWhiteSpace(xml, i + 1);
    const quote = xml.charCodeAt(i);
    if (quote !== 0x22 && quote !== 0x27) return 0;
    const valueStart = i + 1;
    const valueEnd = xml.indexOf(quote === 0x22 ? '"' : "'", valueStart);
    // A value cannot hold `<`.
    if (valueEnd < 0 || (nextLt >= 0 && valueEnd > nextLt)) return 0;
    const plain =
      (doc.hasReferences && within(xml, '&', valueStart, valueEnd)) ||
      (doc.hasTabs && within(xml, '\t', valueStart, valueEnd)) ||
      within(xml, '\n', valueStart, valueEnd)
        ? 1
        : 0;
    for (let k = 0; k < scratchLength; k += 5) {
      if (sameName(xml, scratch[k]!, scratch[k + 1]!, afterSpace, nameStop)) return 0;
    }
    // A value with references is decoded now, so a bad one leaves the document to saxes.
    if (plain === 1 && decodeReferences(xml.slice(valueStart, valueEnd)) === undefined) return 0;
    scratch[scratchLength] = afterSpace;
    scratch[scratchLength + 1] = nameStop;
    scratch[scratchLength + 2] = valueStart;
    scratch[scratchLength + 3] = valueEnd;
    scratch[scratchLength + 4] = plain;
    scratchLength += 5;
    at = valueEnd + 1;
  }
}

/** Builds the attributes `scanAttributes` found. */
function attributesFromScratch(xml: string): Record<string, string> {
  const attributes = Object.create(null) as Record<string, string>;
  for (let k = 0; k < scratchLength; k += 5) {
    const raw = xml.slice(scratch[k + 2]!, scratch[k + 3]!);
    // Attribute-value normalisation: each literal tab or line feed is a space; references are not.
    attributes[xml.slice(scratch[k]!, scratch[k + 1]!)] = detached(
      scratch[k + 4] === 0 ? raw : decodeReferences(raw.replace(/[\t\n]/g, ' '))!,
    );
  }
  return attributes;
}

function newElement(name: string, attributes: Record<string, string>, parent: TreeElement | undefined): TreeElement {
  const colon = name.indexOf(':');
  return {
    name,
    localName: colon < 0 ? name : name.slice(colon + 1),
    prefix: colon < 0 ? '' : name.slice(0, colon),
    attributes,
    children: [],
    text: '',
    parent,
  };
}

/** A KeepSpec as the reader uses it: the names it keeps, in an array, with what to keep of each. */
interface CompiledKeep {
  names: string[];
  keeps: (CompiledKeep | true)[];
}

const compiled = new WeakMap<KeepSpec, CompiledKeep>();

function compile(spec: KeepSpec): CompiledKeep {
  let done = compiled.get(spec);
  if (!done) {
    const names = Object.keys(spec);
    done = { names, keeps: names.map((name) => (spec[name] === true ? true : compile(spec[name] as KeepSpec))) };
    compiled.set(spec, done);
  }
  return done;
}

/** What `keep` keeps of the child with this local name. */
function keptByName(keep: CompiledKeep, localName: string): CompiledKeep | true | undefined {
  const i = keep.names.indexOf(localName);
  return i < 0 ? undefined : keep.keeps[i];
}

/** What `keep` keeps of the child whose local name is xml[start, end). */
function keptChild(xml: string, keep: CompiledKeep, start: number, end: number): CompiledKeep | true | undefined {
  const { names } = keep;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name.length === end - start && xml.startsWith(name, start)) return keep.keeps[i];
  }
  return undefined;
}

/**
 * The document's root element as saxes would build it (pruned to `keep` when given), or undefined
 * when saxes must read the document.
 */
export function parseXmlTreeFast(xml: string, keep?: KeepSpec): TreeElement | undefined {
  if (REFUSED_CHARACTER.test(xml)) return undefined;
  // Most documents have none of these: then text and values need no checks for them.
  const mayHaveCdataEnd = xml.includes(']]>');
  const mayHaveReferences = xml.includes('&');
  const doc: DocumentFacts = { hasReferences: mayHaveReferences, hasTabs: xml.includes('\t') };
  let root: TreeElement | undefined;
  // The open elements: where each one's name is, and, when it is built, the element and what to
  // build of its children (all, some, or none when not built).
  const nameStarts: number[] = [];
  const nameEnds: number[] = [];
  const elements: (TreeElement | undefined)[] = [];
  const keeps: (CompiledKeep | true | undefined)[] = [];
  let depth = 0;
  let at = 0;
  const length = xml.length;
  while (at < length) {
    const lt = xml.indexOf('<', at);
    const textEnd = lt < 0 ? length : lt;
    if (textEnd > at) {
      if (depth > 0) {
        const inside = elements[depth - 1];
        const raw = mayHaveCdataEnd || mayHaveReferences || inside ? xml.slice(at, textEnd) : '';
        if (mayHaveCdataEnd && raw.includes(']]>')) return undefined;
        const text = mayHaveReferences ? decodeReferences(raw) : raw;
        if (text === undefined) return undefined;
        if (inside) inside.text += text;
      } else if (!ONLY_WHITE_SPACE.test(xml.slice(at, textEnd))) {
        return undefined;
      }
    }
    if (lt < 0) break;
    const next = xml.charCodeAt(lt + 1);
    if (next === 0x2f /* / */) {
      const nameStop = nameEnd(xml, lt + 2);
      const closeEnd = skipWhiteSpace(xml, nameStop);
      if (depth === 0 || xml.charCodeAt(closeEnd) !== 0x3e /* > */) return undefined;
      depth--;
      if (!sameName(xml, nameStarts[depth]!, nameEnds[depth]!, lt + 2, nameStop)) return undefined;
      const closing = elements[depth];
      if (closing) closing.text = detached(closing.text);
      at = closeEnd + 1;
    } else if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        const close = xml.indexOf('-->', lt + 4);
        if (close < 0) return undefined;
        // `--` inside a comment is malformed (so is `--->`: its first two dashes are that).
        if (xml.indexOf('--', lt + 4) < close) return undefined;
        at = close + 3;
      } else if (depth > 0 && xml.startsWith('<![CDATA[', lt)) {
        const close = xml.indexOf(']]>', lt + 9);
        if (close < 0) return undefined;
        const inside = elements[depth - 1];
        if (inside) inside.text += xml.slice(lt + 9, close);
        at = close + 3;
      } else {
        return undefined;
      }
    } else {
      // An element can only open inside the root, or be the root itself.
      if (depth === 0 && root) return undefined;
      SIMPLE_TAG.lastIndex = lt;
      const simple = SIMPLE_TAG.exec(xml);
      if (simple) {
        const name = simple[1]!;
        const part = simple[2]!;
        const colon = name.indexOf(':');
        let childKeep: CompiledKeep | true | undefined;
        let parent: TreeElement | undefined;
        if (depth === 0) childKeep = keep ? compile(keep) : true;
        else {
          const parentKeep = keeps[depth - 1];
          if (parentKeep === true) childKeep = true;
          else if (parentKeep !== undefined) childKeep = keptByName(parentKeep, colon < 0 ? name : name.slice(colon + 1));
          parent = elements[depth - 1];
        }
        let element: TreeElement | undefined;
        if (childKeep !== undefined) {
          const attributes = simpleAttributes(part);
          if (!attributes) return undefined;
          element = newElement(name, attributes, parent);
          if (parent) parent.children.push(element);
          else root = element;
        } else if (REPEATED_NAME.test(part)) {
          return undefined;
        }
        if (simple[3] !== '/') {
          nameStarts[depth] = lt + 1;
          nameEnds[depth] = lt + 1 + name.length;
          elements[depth] = element;
          keeps[depth] = element ? childKeep : undefined;
          depth++;
        }
        at = SIMPLE_TAG.lastIndex;
        continue;
      }
      const nameStop = nameEnd(xml, lt + 1);
      if (nameStop === lt + 1) return undefined;
      const end = scanAttributes(xml, nameStop, xml.indexOf('<', nameStop), doc);
      if (end === 0) return undefined;
      let element: TreeElement | undefined;
      let childKeep: CompiledKeep | true | undefined;
      if (depth === 0) {
        element = root = newElement(xml.slice(lt + 1, nameStop), attributesFromScratch(xml), undefined);
        childKeep = keep ? compile(keep) : true;
      } else {
        const parentKeep = keeps[depth - 1];
        if (parentKeep === true) childKeep = true;
        else if (parentKeep !== undefined) {
          const colon = xml.indexOf(':', lt + 1);
          childKeep = keptChild(xml, parentKeep, colon >= 0 && colon < nameStop ? colon + 1 : lt + 1, nameStop);
        }
        if (childKeep !== undefined) {
          const parent = elements[depth - 1]!;
          element = newElement(xml.slice(lt + 1, nameStop), attributesFromScratch(xml), parent);
          parent.children.push(element);
        }
      }
      if (end > 0) {
        nameStarts[depth] = lt + 1;
        nameEnds[depth] = nameStop;
        elements[depth] = element;
        keeps[depth] = element ? childKeep : undefined;
        depth++;
      }
      at = Math.abs(end);
    }
  }
  return depth === 0 ? root : undefined;
}
