import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { TemplateError, TrustedXml, parseTemplate, type Template } from '../../../server/formats/gotemplate/index.js';
import { vmangoTemplateContext, type TemplateContextInput } from '../../../server/services/machines/template-context.js';
import { CORPUS_DIR, readCases, type CorpusCase } from './corpus-data.js';

const vmangoCases = readCases<CorpusCase>(CORPUS_DIR, 'vmango.json');
const shipped = (name: string): Template => parseTemplate(name, vmangoCases.find((c) => c.name === name)!.template);
const TEMPLATES = ['vm.dist.xml.in', 'vm_lvm.xml.in', 'volume.dist.xml.in', 'volume_lvm.xml.in'].map(shipped);

// The panel's metadata block: vmango 0.6's METADATA_TEMPLATE without the CDATA wrapper (escaped text
// inside CDATA would read back escaped), rendered in xml mode and inserted as TrustedXml.
const METADATA = parseTemplate(
  'metadata',
  `<vmango:md xmlns:vmango="http://vmango.org/schema/md">
  <vmango:imageId>{{ .Machine.ImageId }}</vmango:imageId>
  <vmango:os>{{ .Machine.OS }}</vmango:os>
  <vmango:creator>{{ .Machine.Creator }}</vmango:creator>
  <vmango:sshkeys>{{ range .Machine.SSHKeys }}<vmango:key name="{{ .Name }}">{{ .Public }}</vmango:key>{{ end }}</vmango:sshkeys>
  <vmango:userdata>{{ .Machine.Userdata }}</vmango:userdata>
</vmango:md>`,
);

interface Fields {
  name: string;
  keys: { name: string; public: string }[];
  userdata: string;
  creator: string;
  imageId: string;
  os: string;
  network: string;
  volumePath: string;
}

const BENIGN: Fields = {
  name: 'web1',
  keys: [
    { name: 'k1', public: 'ssh-rsa AAAA' },
    { name: 'k2', public: 'ssh-ed25519 BBBB' },
  ],
  userdata: 'ud',
  creator: 'admin',
  imageId: 'Centos-7_amd64_qcow2.img',
  os: 'Centos-7',
  network: 'default',
  volumePath: '/var/lib/x_disk',
};

function render(t: Template, f: Fields): string {
  const input: TemplateContextInput = {
    machine: { name: f.name, sshKeys: f.keys, userdata: f.userdata, creator: f.creator, imageId: f.imageId, os: f.os },
    image: { id: f.imageId, os: f.os, arch: 'x86_64', sizeBytes: 1 << 20, format: 'qcow2', date: new Date(0), poolName: 'imgs' },
    plan: { name: 'small', memoryBytes: 1 << 29, cpus: 1, diskSizeBytes: 5 * 1024 ** 3 },
    volumePath: f.volumePath,
    network: f.network,
  };
  const metadata = new TrustedXml(METADATA.execute(vmangoTemplateContext(input), { escape: 'xml' }));
  return t.execute(vmangoTemplateContext({ ...input, metadata }), { escape: 'xml' });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: true,
});

type Ordered = Record<string, unknown>[];
/** Element names and attribute names, recursively, without any values. */
function skeleton(nodes: Ordered): unknown[] {
  return nodes
    .filter((n) => !('#text' in n))
    .map((n) => {
      const tag = Object.keys(n).find((k) => k !== ':@')!;
      const attrs = Object.keys((n[':@'] as Record<string, string> | undefined) ?? {}).sort();
      return [tag, attrs, skeleton(n[tag] as Ordered)];
    });
}
function find(nodes: Ordered, path: string[]): Record<string, unknown>[] {
  const [head, ...rest] = path;
  const hits = nodes.filter((n) => head! in n);
  return rest.length === 0 ? hits : hits.flatMap((h) => find(h[head!] as Ordered, rest));
}
const text = (n: Record<string, unknown> | undefined, tag: string): string =>
  ((n?.[tag] as Ordered | undefined) ?? []).map((c) => (c['#text'] as string | undefined) ?? '').join('');
const attr = (n: Record<string, unknown> | undefined, a: string): string | undefined =>
  (n?.[':@'] as Record<string, string> | undefined)?.['@_' + a];

// XML 1.0 Char minus what the panel rejects; the forbidden ones are tested separately below.
const xmlChar = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ']]>',
        '"',
        "'",
        '&',
        '<!--',
        '-->',
        '<',
        '>',
        '&amp;',
        '<x/>',
        '\r\n',
        '\t',
        ' ',
        'é',
        '😀',
        '{{',
        '}}',
      ),
    },
  )
  .map((s) => s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));
const value = fc.array(xmlChar, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
const fields: fc.Arbitrary<Fields> = fc.record({
  name: value,
  keys: fc.array(fc.record({ name: value, public: value }), { minLength: 2, maxLength: 2 }),
  userdata: value,
  creator: value,
  imageId: value,
  os: value,
  network: value,
  volumePath: value,
});

describe('xml mode keeps the vmango templates well-formed', () => {
  for (const t of TEMPLATES) {
    const benign = parser.parse(render(t, BENIGN)) as Ordered;
    it(`${t.name}: arbitrary field values never change the XML structure and read back unchanged`, () => {
      fc.assert(
        fc.property(fields, (f) => {
          const xml = render(t, f);
          expect(XMLValidator.validate(xml)).toBe(true);
          const doc = parser.parse(xml) as Ordered;
          expect(skeleton(doc)).toEqual(skeleton(benign));
          if (t.name.startsWith('volume')) {
            expect(text(find(doc, ['volume', 'name'])[0], 'name')).toBe(f.name + '_disk');
            return;
          }
          expect(text(find(doc, ['domain', 'name'])[0], 'name')).toBe(f.name);
          const src = find(doc, ['domain', 'devices', 'disk', 'source'])[0];
          expect(attr(src, 'file') ?? attr(src, 'dev')).toBe(f.volumePath);
          expect(attr(find(doc, ['domain', 'devices', 'interface', 'source'])[0], 'network')).toBe(f.network);
          const md = ['domain', 'metadata', 'vmango:md'];
          expect(text(find(doc, [...md, 'vmango:creator'])[0], 'vmango:creator')).toBe(f.creator);
          expect(text(find(doc, [...md, 'vmango:os'])[0], 'vmango:os')).toBe(f.os);
          expect(text(find(doc, [...md, 'vmango:imageId'])[0], 'vmango:imageId')).toBe(f.imageId);
          expect(text(find(doc, [...md, 'vmango:userdata'])[0], 'vmango:userdata')).toBe(f.userdata);
          const keys = find(doc, [...md, 'vmango:sshkeys', 'vmango:key']);
          expect(keys.map((k) => ({ name: attr(k, 'name'), public: text(k, 'vmango:key') }))).toEqual(f.keys);
        }),
        { numRuns: 2000 },
      );
    }, 120_000);
  }

  it('a character XML 1.0 cannot represent is an error naming the action', () => {
    const bad = { ...BENIGN, name: 'a\u0001b' };
    let err: unknown;
    try {
      render(TEMPLATES[0]!, bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).message).toMatch(
      /^template: vm\.dist\.xml\.in:2:\d+: executing "vm\.dist\.xml\.in" at <\{\{\.Machine\.Name\}\}>: printed value contains U\+0001/,
    );
    for (const ch of ['\u0000', '\u000B', '\u000C', '\u001F', '\uFFFE', '\uFFFF', '\uD800', '\uDC00']) {
      expect(() => parseTemplate('t', '{{.}}').execute('x' + ch, { escape: 'xml' })).toThrow(TemplateError);
    }
  });

  it('escapes in xml mode only the printed values, and none mode is Go-exact', () => {
    const t = parseTemplate('t', `<a b='{{.}}'>&amp;{{.}}</a>`);
    expect(t.execute(`x'<&>"`, { escape: 'xml' })).toBe(`<a b='x&apos;&lt;&amp;&gt;&quot;'>&amp;x&apos;&lt;&amp;&gt;&quot;</a>`);
    expect(t.execute(`x'<`)).toBe(`<a b='x'<'>&amp;x'<</a>`);
    expect(t.execute(new TrustedXml('<i/>'), { escape: 'xml' })).toBe(`<a b='<i/>'>&amp;<i/></a>`);
  });
});
