import { describe, expect, it } from 'vitest';
import { parseWithSaxes, parseXmlDocument } from '../../../server/formats/xml/tree.js';
import { withAttributes, withText, writeXml, xmlElement, XmlWriteError } from '../../../server/formats/xml/write.js';

const DOMAIN = `<domain type='kvm'>
  <name>web1</name>
  <metadata>
    <vmango:md xmlns:vmango="http://vmango.org/schema/md">
      <vmango:userdata>#cloud-config
a: "&lt;b&gt; &amp; 'c'"
</vmango:userdata>
    </vmango:md>
  </metadata>
  <devices>
    <disk type='file' device='disk'><source file='/var/lib/a &amp; b_disk'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>
  </devices>
</domain>`;

describe('writeXml', () => {
  it('writes back what it read: the same tree, values decoded and escaped again', () => {
    const root = parseXmlDocument(DOMAIN, 'domain XML');
    const written = writeXml(root);
    const again = parseWithSaxes(written, 'written XML');
    expect(writeXml(again)).toBe(written);
    expect(again.children.map((c) => c.localName)).toEqual(['name', 'metadata', 'devices']);
    expect(written).toContain('<source file="/var/lib/a &amp; b_disk"/>');
    expect(written).toContain('a: "&lt;b&gt; &amp; \'c\'"\n</vmango:userdata>');
    expect(written).toContain('xmlns:vmango="http://vmango.org/schema/md"');
  });

  it('edits: drops, replaces and changes attributes and text', () => {
    const root = parseXmlDocument(DOMAIN, 'domain XML');
    const written = writeXml(root, (el) => {
      if (el.localName === 'mac') return null;
      if (el.localName === 'name') return withText(el, 'web2');
      if (el.localName === 'source' && el.attributes.file) return withAttributes(el, { file: '/new_disk' });
      if (el.localName === 'interface') return { ...el, children: [...el.children, xmlElement('model', { type: 'virtio' })] };
      return undefined;
    });
    expect(written).toContain('<name>web2</name>');
    expect(written).not.toContain('<mac');
    expect(written).toContain('<source file="/new_disk"/>');
    expect(written).toContain('<source network="default"/><model type="virtio"/></interface>');
  });

  it('keeps a hostile value inside its text or attribute: the structure cannot change', () => {
    const hostile = `x'/><evil a="1"></evil><name>y</name><!--`;
    const written = writeXml(
      xmlElement('domain', { type: hostile }, [xmlElement('name', {}, hostile), xmlElement('description', {}, ']]>&')]),
    );
    const read = parseWithSaxes(written, 'written XML');
    expect(read.children.map((c) => c.localName)).toEqual(['name', 'description']);
    expect(read.attributes.type).toBe(hostile);
    expect(read.children[0]!.text).toBe(hostile);
    expect(read.children[1]!.text).toBe(']]>&');
  });

  it('refuses names that are not XML names and characters XML cannot carry, naming them', () => {
    expect(() => writeXml(xmlElement('a><b'))).toThrow(XmlWriteError);
    expect(() => writeXml(xmlElement('a', { 'x="1" y': '2' }))).toThrow(/not an XML name/);
    expect(() => writeXml(xmlElement('a', {}, 'bell \u0007'))).toThrow(/text of <a>/);
  });

  it('refuses mixed content rather than reorder it', () => {
    const mixed = parseWithSaxes('<a>text<b/>more</a>', 'mixed');
    expect(() => writeXml(mixed)).toThrow(/both child elements and text/);
  });
});
