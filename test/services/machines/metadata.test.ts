import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrustedXml } from '../../../server/formats/gotemplate/index.js';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';
import {
  buildMetadata,
  buildMetadataForSetMetadata,
  goTrimSpace,
  normalizeUserdata,
  parseMetadataXml,
  VMANGO_METADATA_NAMESPACE,
  type VmangoMetadata,
} from '../../../server/services/machines/metadata.js';
import { xmlCharacterProblem, XmlValueError } from '../../../server/formats/xml/escape.js';
import { XmlParseError } from '../../../server/formats/xml/tree.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

const sample: VmangoMetadata = {
  imageId: 'Cirros-0.6_amd64_qcow2.img',
  os: 'Cirros-0.6',
  creator: 'admin',
  plan: 'small',
  sshKeys: [{ name: 'test', public: 'ssh-ed25519 AAAA test@vmango' }],
  userdata: 'hello\n',
};

/** Puts metadata where vm.xml.in's `{{ .Metadata }}` puts it. */
function domainWith(metadataXml: string): string {
  return `<domain type='kvm'>\n  <name>m</name>\n  <metadata>\n    ${metadataXml}\n  </metadata>\n</domain>`;
}

describe('buildMetadata', () => {
  it('writes the elements, order and prefix vmango 0.6 writes', () => {
    const md = buildMetadata(sample);
    expect(md).toBeInstanceOf(TrustedXml);
    expect(md.xml).toBe(
      '<vmango:md xmlns:vmango="http://vmango.org/schema/md">\n' +
        '  <vmango:imageId>Cirros-0.6_amd64_qcow2.img</vmango:imageId>\n' +
        '  <vmango:os>Cirros-0.6</vmango:os>\n' +
        '  <vmango:creator>admin</vmango:creator>\n' +
        '  <vmango:plan>small</vmango:plan>\n' +
        '  <vmango:sshkeys>\n' +
        '    <vmango:key name="test">ssh-ed25519 AAAA test@vmango</vmango:key>\n' +
        '  </vmango:sshkeys>\n' +
        '  <vmango:userdata>hello\n</vmango:userdata>\n' +
        '</vmango:md>',
    );
  });

  it('escapes every value so none can change the structure', () => {
    const hostile: VmangoMetadata = {
      imageId: '</vmango:imageId><evil/>',
      os: 'a & b',
      creator: '<script>',
      plan: 'p\'"',
      sshKeys: [{ name: 'k"><x a="', public: 'ssh-rsa AAA & <b> ]]> "q"' }],
      userdata: '#!/bin/sh\necho "]]>" <![CDATA[ x ]]> &amp;\r\n',
    };
    const xml = buildMetadata(hostile).xml;
    expect(xml).not.toContain('<evil/>');
    expect(xml).not.toContain(']]>');
    const back = parseMetadataXml(xml);
    expect(back).toEqual({ ...hostile, userdata: normalizeUserdata(hostile.userdata) });
  });

  it('keeps tabs and newlines in key names and a carriage return in userdata', () => {
    const md = { ...sample, sshKeys: [{ name: 'a\tb\nc\rd', public: 'k' }], userdata: 'a\r\nb\rc\n' };
    const back = parseMetadataXml(buildMetadata(md).xml);
    expect(back.sshKeys[0]!.name).toBe('a\tb\nc\rd');
    expect(back.userdata).toBe('a\r\nb\rc\n');
  });

  it('refuses a value XML cannot carry, naming the field and the character', () => {
    expect(() => buildMetadata({ ...sample, userdata: 'a\u0000b' })).toThrow(XmlValueError);
    expect(() => buildMetadata({ ...sample, userdata: 'a\u0000b' })).toThrow(
      /metadata userdata contains U\+0000 at position 1.*allowed are tab, newline/,
    );
    expect(() => buildMetadata({ ...sample, sshKeys: [{ name: 'x\u001b', public: 'k' }] })).toThrow(
      /ssh key name contains U\+001B/,
    );
    expect(() => buildMetadata({ ...sample, os: 'lone \uD800 surrogate' })).toThrow(/metadata os contains U\+D800/);
  });

  it('writes an empty key list that reads back as no keys', () => {
    expect(parseMetadataXml(buildMetadata({ ...sample, sshKeys: [] }).xml).sshKeys).toEqual([]);
  });
});

describe('metadata round trip (property)', () => {
  const xmlText = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => xmlCharacterProblem('x', s) === undefined);
  const metadata = fc.record({
    imageId: xmlText,
    os: xmlText,
    creator: xmlText,
    plan: xmlText,
    sshKeys: fc.array(fc.record({ name: xmlText, public: xmlText }), { maxLength: 4 }),
    userdata: xmlText,
  });

  it('reads back exactly what was written, userdata normalised as 0.6 does', () => {
    fc.assert(
      fc.property(metadata, (md) => {
        const expected = { ...md, userdata: normalizeUserdata(md.userdata) };
        expect(parseMetadataXml(buildMetadata(md).xml)).toEqual(expected);
        expect(parseDomainXml(domainWith(buildMetadata(md).xml)).metadata).toEqual(expected);
        expect(parseMetadataXml(buildMetadataForSetMetadata(md).xml)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses, rather than corrupts, any string with a character XML cannot carry', () => {
    const anyText = fc.string({ unit: 'binary', maxLength: 20 });
    fc.assert(
      fc.property(anyText, (s) => {
        const representable = xmlCharacterProblem('x', s) === undefined;
        let built: string | undefined;
        try {
          built = buildMetadata({ ...sample, creator: s }).xml;
        } catch (err) {
          expect(err).toBeInstanceOf(XmlValueError);
        }
        expect(built !== undefined).toBe(representable);
        if (built !== undefined) expect(parseMetadataXml(built).creator).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildMetadataForSetMetadata', () => {
  it('gives the unprefixed element with the key and namespace libvirt applies', () => {
    const { xml, key, uri } = buildMetadataForSetMetadata(sample);
    expect(key).toBe('vmango');
    expect(uri).toBe(VMANGO_METADATA_NAMESPACE);
    expect(xml.startsWith('<md>\n  <imageId>Cirros-0.6_amd64_qcow2.img</imageId>')).toBe(true);
    expect(xml).not.toContain('xmlns');
    expect(xml).not.toContain('vmango:');
    // Once libvirt prefixes it, it is exactly what buildMetadata writes.
    const prefixed = xml
      .replaceAll('<', '<vmango:')
      .replaceAll('<vmango:/', '</vmango:')
      .replace('<vmango:md>', `<vmango:md xmlns:vmango="${VMANGO_METADATA_NAMESPACE}">`);
    expect(prefixed).toBe(buildMetadata(sample).xml);
  });
});

describe('parseMetadata reads what vmango 0.6 wrote', () => {
  it("reads 0.6's fixture domains (machinerep_libvirt_test expectations)", () => {
    const one = parseDomainXml(fixture('domain-one.xml')).metadata!;
    expect(one).toEqual({
      imageId: 'image-stub-000',
      os: 'StubOs-1.0',
      creator: 'stubuser',
      plan: 'medium',
      sshKeys: [{ name: 'test', public: expect.stringMatching(/^ssh-rsa AAAAB3NzaC1yc2E.*EaBP test@vmango$/) }],
      userdata: '#!/bin/sh\n',
    });
    expect(parseDomainXml(fixture('domain-two.xml')).metadata!.plan).toBe('large');
  });

  it("reads 0.6's CDATA userdata with the template's surrounding white space", () => {
    const written = `<vmango:md xmlns:vmango="http://vmango.org/schema/md">
  <vmango:imageId>Cirros-0.6_amd64_qcow2.img</vmango:imageId>
  <vmango:os>Cirros-0.6</vmango:os>
  <vmango:creator>admin</vmango:creator>
  <vmango:plan>small</vmango:plan>
  <vmango:sshkeys>
    
    <vmango:key name="test">ssh-ed25519 AAAA... test@vmango</vmango:key>
    
  </vmango:sshkeys>
  <vmango:userdata>
    <![CDATA[
      hello
    ]]>
  </vmango:userdata>
</vmango:md>`;
    expect(parseMetadataXml(written)).toEqual({
      imageId: 'Cirros-0.6_amd64_qcow2.img',
      os: 'Cirros-0.6',
      creator: 'admin',
      plan: 'small',
      sshKeys: [{ name: 'test', public: 'ssh-ed25519 AAAA... test@vmango' }],
      userdata: 'hello\n',
    });
  });

  it('reads what virDomainGetMetadata returns: prefixed names, namespace declaration removed', () => {
    const md = parseMetadataXml(
      '<vmango:md>\n  <vmango:imageId>i</vmango:imageId>\n  <vmango:sshkeys>\n    <vmango:key name="k">pub</vmango:key>\n  </vmango:sshkeys>\n' +
        '  <vmango:userdata>#!/bin/sh\n</vmango:userdata>\n</vmango:md>',
    );
    expect(md).toEqual({
      imageId: 'i',
      os: '',
      creator: '',
      plan: '',
      sshKeys: [{ name: 'k', public: 'pub' }],
      userdata: '#!/bin/sh\n',
    });
  });

  it('matches by local names whatever the prefix or namespace, as 0.6 does', () => {
    const md = parseMetadataXml(
      '<x:md xmlns:x="urn:other"><x:os>Debian-12</x:os><plan>p</plan><y:sshkeys xmlns:y="urn:y">' +
        '<y:key y:name="k1">pub1</y:key></y:sshkeys></x:md>',
    );
    expect(md).toEqual({
      imageId: '',
      os: 'Debian-12',
      creator: '',
      plan: 'p',
      sshKeys: [{ name: 'k1', public: 'pub1' }],
      userdata: '\n',
    });
  });

  it('rejects a malformed document or another root element with a clear error', () => {
    expect(() => parseMetadataXml('<md><os>x</md>')).toThrow(XmlParseError);
    expect(() => parseMetadataXml('<md><os>x</md>')).toThrow(/malformed vmango metadata XML/);
    expect(() => parseMetadataXml('<metadata/>')).toThrow(/must have an <md> root element, got <metadata>/);
  });
});

describe("userdata normalisation (Go's TrimSpace + newline)", () => {
  it('trims what Go trims and nothing else', () => {
    expect(goTrimSpace(' \t\n\v\f\r\u0085\u00a0\u2000\u3000x y\u2029\u205f ')).toBe('x y');
    expect(goTrimSpace('\ufeffx\ufeff')).toBe('\ufeffx\ufeff');
    expect(normalizeUserdata('')).toBe('\n');
    expect(normalizeUserdata('  #!/bin/sh\n\n')).toBe('#!/bin/sh\n');
  });
});
