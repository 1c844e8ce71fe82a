// The fast XML reader (server/network/xml-fast-tree.ts) against saxes, the parser it stands in
// for: on every document it accepts, the same tree (or, pruned, the same domain facts); every
// document saxes refuses, it refuses too, so the caller's error is saxes's own.
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { domainFacts, parseDomainXml, type DomainFacts } from '../../../server/services/machines/domain-xml.js';
import { buildMetadata } from '../../../server/services/machines/metadata.js';
import { parseXmlTreeFast, type TreeElement } from '../../../server/formats/xml/fast-tree.js';
import { parseWithSaxes, parseXmlDocument, XmlParseError, type XmlElement } from '../../../server/formats/xml/tree.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEST_DIR = join(HERE, '..', '..');
const SHARED_FIXTURES = join(TEST_DIR, '../../shared/compat/fixtures');

interface PlainElement {
  name: string;
  localName: string;
  prefix: string;
  attributes: [string, string][];
  nullPrototype: boolean;
  text: string;
  children: PlainElement[];
}

/** A tree as comparable data (attributes in order, their prototype, no parent links). */
function plain(element: XmlElement | TreeElement): PlainElement {
  return {
    name: element.name,
    localName: element.localName,
    prefix: element.prefix,
    attributes: Object.entries(element.attributes),
    nullPrototype: Object.getPrototypeOf(element.attributes) === null,
    text: element.text,
    children: element.children.map(plain),
  };
}

function checkParents(element: XmlElement | TreeElement): void {
  for (const child of element.children) {
    expect(child.parent).toBe(element);
    checkParents(child);
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

function outcome<T>(read: () => T): Outcome<T> {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    if (!(err instanceof XmlParseError)) throw err;
    return { ok: false, message: err.message };
  }
}

/** The whole-tree property: the fast reader refuses, or gives saxes's tree; whatever saxes refuses, it refuses. */
function expectSameTree(xml: string): boolean {
  const fast = parseXmlTreeFast(xml);
  const slow = outcome(() => parseWithSaxes(xml, 'doc'));
  if (!slow.ok) {
    expect(fast, `fast reader accepted what saxes refuses (${slow.message}): ${JSON.stringify(xml)}`).toBeUndefined();
    return false;
  }
  if (fast === undefined) return false;
  expect(plain(fast)).toEqual(plain(slow.value));
  checkParents(fast);
  expect(fast.parent).toBeUndefined();
  return true;
}

/** parseDomainXml before the fast reader: saxes's whole tree. */
function domainFactsBySaxes(xml: string): DomainFacts {
  const root = parseWithSaxes(xml, 'domain XML');
  if (root.localName !== 'domain') throw new XmlParseError(`domain XML must have a <domain> root element, got <${root.name}>`);
  return domainFacts(root);
}

/** The domain property: parseDomainXml (pruned fast tree, or saxes) reads the same facts, or fails alike. */
function expectSameFacts(xml: string): void {
  expect(outcome(() => parseDomainXml(xml))).toEqual(outcome(() => domainFactsBySaxes(xml)));
}

function xmlFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...xmlFilesUnder(full));
    else if (entry.name.endsWith('.xml')) found.push(full);
  }
  return found;
}

/** A domain as the bench and libvirt write it, with vmango's metadata. */
function libvirtDomain(name: string, index: number): string {
  const md = buildMetadata({
    imageId: 'Cirros-0.6_amd64_qcow2.img',
    os: 'Cirros-0.6',
    creator: 'bench',
    plan: 'bench',
    sshKeys: [],
    userdata: '\n',
  }).xml;
  return `<domain type='qemu'>
  <name>${name}</name>
  <uuid>55996e70-b28a-49cd-9e6e-${String(index).padStart(12, '0')}</uuid>
  <metadata>
    ${md}
  </metadata>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/vmango-harness/roots/${name}_disk'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:ef:00:5f'/>
      <source network='vmango'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>`;
}

describe('fast XML reader on known documents', () => {
  const fixtures = xmlFilesUnder(TEST_DIR);

  it('reads every XML fixture under test/ as saxes does (and reads them itself, but for XML declarations)', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const file of fixtures) {
      const xml = readFileSync(file, 'utf8');
      // An XML declaration (the test driver's node.xml) is left to saxes; libvirt's own output has none.
      expect(expectSameTree(xml), `${file} left to saxes`).toBe(!xml.startsWith('<?xml'));
      if (/^\s*<domain[\s>]/.test(xml)) expectSameFacts(xml);
    }
  });

  it.skipIf(!existsSync(SHARED_FIXTURES))('reads the shared compat fixtures as saxes does', () => {
    const files = readdirSync(SHARED_FIXTURES).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const xml = readFileSync(join(SHARED_FIXTURES, name), 'utf8');
      expect(expectSameTree(xml), `${name} left to saxes`).toBe(true);
      if (/^\s*<domain[\s>]/.test(xml)) expectSameFacts(xml);
    }
  });
  if (!existsSync(SHARED_FIXTURES)) {
    it.skip(`shared compat fixtures: ${SHARED_FIXTURES} is absent (a checkout without ../shared)`, () => undefined);
  }

  it('reads the domain XML libvirt writes for vmango machines as saxes does', () => {
    for (let i = 0; i < 20; i++) {
      const xml = libvirtDomain(`bench-${i}`, i);
      expect(expectSameTree(xml)).toBe(true);
      expectSameFacts(xml);
      expect(parseDomainXml(xml)).toMatchObject({ name: `bench-${i}`, metadata: { plan: 'bench' } });
    }
  });

  it('reads entities, character references, CDATA, comments and attribute white space as saxes does', () => {
    const accepted = [
      '<a>x &amp; &lt; &gt; &quot; &apos; &#65;&#x42;&#x1F600; y</a>',
      "<a b='1 &amp; 2' c=\"it's\" d='say \"hi\"'/>",
      '<a b="x\ty\nz" c="&#9;&#10;"/>',
      '<a\n  b = "1"\tc=\'2\'  />',
      '<a><![CDATA[<raw> & ]] > stuff]]>after</a>',
      '<!-- before --><a>in<!-- inside -->side</a><!-- after -->\n',
      '<a><!----></a>',
      '<a:b xmlns:a="u"><a:c a:d="1">t</a:c></a:b>',
      '<a>é 😀 \u2028 \u0085 \uFEFF</a>',
      '<a>]]&gt; ]] ></a>',
      '  \n<a/>\n\t ',
      '<a></a >',
      '<a b="&#x10FFFF;"/>',
      '<a>&#0065;</a>',
      '<a><b><c/></b><b/></a>',
      '<a b="&gt;"/>',
      '<a b=">"/>',
    ];
    for (const xml of accepted) expect(expectSameTree(xml), xml).toBe(true);
  });

  it('leaves to saxes what it does not read (same tree, or saxes refuses)', () => {
    const left = [
      '',
      ' ',
      'text',
      '<a>',
      '<a></b>',
      '<a/><b/>',
      '<a/>text',
      'text<a/>',
      '<a b="1" b="2"/>',
      '<a b="1"c="2"/>',
      '<a b=1/>',
      '<a b/>',
      '<a b="<"/>',
      '<a>&nbsp;</a>',
      '<a>&#0;</a>',
      '<a>&#X41;</a>',
      '<a>&#xD800;</a>',
      '<a>&amp</a>',
      '<a>& b;</a>',
      '<a>]]></a>',
      '<a>\r\n</a>',
      '<a b="\r"/>',
      '<a>\u0001</a>',
      '<a>\uFFFE</a>',
      '<a>\uD800</a>',
      '<a>\uDC00x</a>',
      '<?xml version="1.0"?><a/>',
      '<?xml version="1.1"?><a>\u0085</a>',
      '<!DOCTYPE a><a/>',
      '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
      '<a><!-- a -- b --></a>',
      '<a><!-- a ---></a>',
      '<a><!--- a --></a>',
      '<![CDATA[x]]><a/>',
      '<a><![CDATA[x</a>',
      '<a><?pi x?></a>',
      '\uFEFF<a/>',
      '<é/>',
      '<a é="1"/>',
      '<1a/>',
      '<-a/>',
      '<:a/>',
      '<a:/>',
      '<a::b/>',
      '< a/>',
      '<a / >',
      '</a>',
      '<a></a>x',
      '<a b="1"/ >',
      '<a\u00a0b="1"/>',
      '<a b="x\ny"/>',
      '<a>\t</a>',
    ];
    for (const xml of left) expectSameTree(xml);
  });

  it('checks the parts of a domain it does not build as strictly as the rest', () => {
    const inSkipped = [
      '<address a="1" a="2"/>',
      '<address a="1" b="2" a="3"/>',
      '<address a="x y a=z"/>',
      "<address a='1' b = '2' a ='3'/>",
      '<address a="1"b="2"/>',
      '<address a="&bogus;"/>',
      '<address a="<"/>',
      '<clock>&nbsp;</clock>',
      '<clock>]]></clock>',
      '<clock><x></clock>',
      '<clock><!-- a -- b --></clock>',
      '<address\ta="1"\nb="2"/>',
      '<address a="x\ty"/>',
      '<address a="&amp;"/>',
    ];
    for (const part of inSkipped) {
      for (const xml of [
        `<domain>${part}<name>n</name></domain>`,
        `<domain><devices><disk>${part}</disk>${part}</devices></domain>`,
      ]) {
        expectSameTree(xml);
        expectSameFacts(xml);
      }
    }
  });

  it('does not mistake names of Object.prototype for kept elements', () => {
    expectSameFacts(
      '<domain><constructor/><toString>x</toString><devices><hasOwnProperty/><__proto__ a="1"/><disk/></devices></domain>',
    );
  });
});

// ---- generated documents ---------------------------------------------------------------------

/** Characters that matter to XML, and some that do not. */
const interesting = fc.constantFrom(
  'a',
  'Z',
  '0',
  ' ',
  '\t',
  '\n',
  '\r',
  '<',
  '>',
  '&',
  '"',
  "'",
  ';',
  '#',
  'x',
  ']',
  '-',
  '!',
  '?',
  '/',
  '=',
  ':',
  '_',
  '.',
  'é',
  '😀',
  '\u0000',
  '\u0001',
  '\uFFFE',
  '\uD800',
  '\uDC00',
  '\u2028',
  '\u0085',
  '\uFEFF',
  '&amp;',
  '&lt;',
  '&#65;',
  '&#x41;',
  '&bogus;',
  ']]>',
  '<!--',
  '-->',
  '<![CDATA[',
);
const rawText = fc.array(interesting, { maxLength: 8 }).map((parts) => parts.join(''));
const escapedText = fc.string({ maxLength: 12 }).map((s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
const text = fc.oneof(escapedText, rawText, fc.constantFrom('', '\n  ', 'hvm', '1024', '/var/lib/x_disk'));
const prefix = fc.constantFrom('', '', '', 'vmango:', 'x:');
const localName = fc.constantFrom(
  'domain',
  'name',
  'uuid',
  'memory',
  'currentMemory',
  'vcpu',
  'os',
  'type',
  'metadata',
  'md',
  'sshkeys',
  'key',
  'userdata',
  'plan',
  'imageId',
  'creator',
  'devices',
  'disk',
  'driver',
  'source',
  'target',
  'readonly',
  'interface',
  'mac',
  'model',
  'graphics',
  'listen',
  'console',
  'address',
  'video',
  'controller',
  'a',
  'b-c',
  'd.e',
  'constructor',
  '__proto__',
);
const attributeName = fc.constantFrom(
  'type',
  'device',
  'name',
  'file',
  'dev',
  'pool',
  'volume',
  'bus',
  'address',
  'network',
  'bridge',
  'port',
  'autoport',
  'listen',
  'current',
  'unit',
  'arch',
  'xmlns:vmango',
  'xmlns',
  'vmango:name',
  'x:y',
  'constructor',
);
const attributeValue = fc.oneof(
  fc.constantFrom(
    '',
    'yes',
    '5900',
    '-1',
    'KiB',
    'MiB',
    '/a/b_disk',
    'http://vmango.org/schema/md',
    'vnc',
    'cdrom',
    '52:54:00:00:00:01',
  ),
  escapedText.map((s) => s.replace(/"/g, '&quot;')),
  rawText.map((s) => s.replace(/"/g, '')),
);
const space = fc.constantFrom(' ', ' ', '\n    ', '\t', '  ');
const attribute = fc
  .tuple(space, attributeName, fc.constantFrom('=', ' = '), attributeValue)
  .map(([s, n, eq, v]) => `${s}${n}${eq}"${v}"`);

interface Node {
  xml: string;
}
const element: fc.Memo<Node> = fc.memo((depth) =>
  fc
    .tuple(
      prefix,
      localName,
      fc.array(attribute, { maxLength: 3 }),
      fc.boolean(),
      depth <= 1 ? fc.constant<Node[]>([]) : fc.array(element(depth - 1), { maxLength: 4 }),
      fc.array(fc.oneof(text, fc.constant('<!-- c -->'), fc.constant('<![CDATA[ <&> ]]>')), { maxLength: 3 }),
    )
    .map(([p, n, attrs, empty, children, texts]) => {
      const name = `${p}${n}`;
      if (empty && children.length === 0) return { xml: `<${name}${attrs.join('')}/>` };
      const body: string[] = [];
      for (let i = 0; i < Math.max(children.length, texts.length); i++) body.push(texts[i] ?? '', children[i]?.xml ?? '');
      return { xml: `<${name}${attrs.join('')}>${body.join('')}</${name}>` };
    }),
);

/** A whole document: a `<domain>` (usually) with generated contents, maybe a comment around it. */
const documentXml = fc
  .tuple(
    fc.constantFrom('domain', 'domain', 'domain', 'network', 'x:domain'),
    fc.array(attribute, { maxLength: 2 }),
    fc.array(element(4), { maxLength: 6 }),
    fc.constantFrom('', '<!-- head -->\n', '\n'),
    fc.constantFrom('', '\n', '<!-- tail -->'),
  )
  .map(
    ([root, attrs, children, head, tail]) =>
      `${head}<${root}${attrs.join('')}>${children.map((c) => c.xml).join('\n  ')}</${root}>${tail}`,
  );

/** A document damaged at random places (inserted, deleted or replaced characters). */
const damaged = fc
  .tuple(
    fc.oneof(documentXml, fc.constantFrom(libvirtDomain('one', 1), libvirtDomain('two', 2))),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.oneof(interesting, fc.constant(''))), { minLength: 1, maxLength: 3 }),
  )
  .map(([xml, edits]) => {
    let out = xml;
    for (const [at, cut, insert] of edits) {
      const i = at % (out.length + 1);
      out = out.slice(0, i) + insert + out.slice(i + cut);
    }
    return out;
  });

describe('fast XML reader on generated documents (property)', () => {
  it('gives saxes tree for generated documents, and reads most of them itself', () => {
    let read = 0;
    let total = 0;
    fc.assert(
      fc.property(documentXml, (xml) => {
        total++;
        if (expectSameTree(xml)) read++;
      }),
      { numRuns: 1500 },
    );
    // Raw special characters make some documents malformed; the rest must not all be left to saxes.
    expect(read).toBeGreaterThan(total / 10);
  });

  it('reads the same domain facts as the whole saxes tree does (pruned tree)', () => {
    fc.assert(
      fc.property(documentXml, (xml) => expectSameFacts(xml)),
      { numRuns: 1500 },
    );
  });

  it('refuses every damaged document saxes refuses, and reads the rest as saxes does', () => {
    fc.assert(
      fc.property(damaged, (xml) => {
        expectSameTree(xml);
        expectSameFacts(xml);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseXmlDocument gives the same tree and errors as saxes alone', () => {
    fc.assert(
      fc.property(fc.oneof(documentXml, damaged), (xml) => {
        const via = outcome(() => plain(parseXmlDocument(xml, 'doc')));
        const slow = outcome(() => plain(parseWithSaxes(xml, 'doc')));
        expect(via).toEqual(slow);
      }),
      { numRuns: 1500 },
    );
  });
});
