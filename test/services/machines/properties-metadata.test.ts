/**
 * The properties element beside vmango 0.6's metadata: written as libvirt stores it, read back;
 * 0.6's `md` element (test/services/machines/fixtures/domain-one.xml, 0.6's own fixture) reads the
 * same with ours added; values never change the element's structure; hand-edited values the
 * rules refuse are left out rather than failing the machine.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXmlRoot } from '../../../server/formats/xml/tree.js';
import { findMetadataElement, parseMetadata } from '../../../server/services/machines/metadata.js';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';
import {
  parseProperties,
  parsePropertiesXml,
  propertiesForSetMetadata,
  PROPERTIES_NAMESPACE,
} from '../../../server/services/machines/properties-metadata.js';
import { NO_PROPERTIES, type MachineProperties } from '../../../server/core/machine-properties.js';

const DOMAIN_ONE = readFileSync(new URL('fixtures/domain-one.xml', import.meta.url), 'utf8');

/** What libvirt does with virDomainSetMetadata(ELEMENT, xml, key, uri): the element, prefixed, in `uri`. */
function storedAsLibvirtDoes(xml: string): string {
  return xml
    .replace(/<(\/?)([a-z]+)/g, '<$1vmangots:$2')
    .replace('<vmangots:machine>', `<vmangots:machine xmlns:vmangots="${PROPERTIES_NAMESPACE}">`);
}

function withProperties(domainXml: string, properties: MachineProperties): string {
  const { xml } = propertiesForSetMetadata(properties);
  return domainXml.replace('</metadata>', `${storedAsLibvirtDoes(xml!)}\n  </metadata>`);
}

const PROPERTIES: MachineProperties = {
  tags: ['berlin', 'web'],
  label: { name: 'production & <live>', colour: '#2f855a' },
  description: 'line one\n</description><vmangots:tag>evil</vmangots:tag>\n"quoted" & more',
};

describe('machine properties in the domain metadata', () => {
  it('round-trips through the domain XML, values with XML specials included', () => {
    const facts = parseDomainXml(withProperties(DOMAIN_ONE, PROPERTIES));
    expect(facts.properties).toEqual(PROPERTIES);
  });

  it("leaves vmango 0.6's own element as 0.6 reads it", () => {
    const before = parseXmlRoot(DOMAIN_ONE, 'domain', 'domain');
    const after = parseXmlRoot(withProperties(DOMAIN_ONE, PROPERTIES), 'domain', 'domain');
    const md = (root: typeof before) => findMetadataElement(root.children.find((c) => c.localName === 'metadata'));
    expect(md(after)!.name).toBe('vmango:md');
    expect(parseMetadata(md(after)!)).toEqual(parseMetadata(md(before)!));
    // 0.6 looks for `metadata>md` by local name: ours is not an `md`.
    const names = after.children.find((c) => c.localName === 'metadata')!.children.map((c) => c.localName);
    expect(names.filter((n) => n === 'md')).toHaveLength(1);
    expect(parseDomainXml(DOMAIN_ONE).properties).toEqual(NO_PROPERTIES);
  });

  it('writes nothing for empty properties (the element is removed)', () => {
    expect(propertiesForSetMetadata(NO_PROPERTIES).xml).toBeNull();
    expect(propertiesForSetMetadata({ tags: ['a'], description: '' }).xml).toBe('<machine>\n  <tag>a</tag>\n</machine>');
  });

  it('reads what virDomainGetMetadata answers, and skips values the rules refuse', () => {
    const edited = `<vmangots:machine xmlns:vmangots="${PROPERTIES_NAMESPACE}">
      <vmangots:tag>ok</vmangots:tag><vmangots:tag>not ok</vmangots:tag><vmangots:tag>ok</vmangots:tag>
      <vmangots:label colour="red">bad colour</vmangots:label>
      <vmangots:description>fine</vmangots:description></vmangots:machine>`;
    expect(parsePropertiesXml(edited)).toEqual({ tags: ['ok'], description: 'fine' });
  });

  it("ignores an element named machine in someone else's namespace", () => {
    const other = DOMAIN_ONE.replace(
      '</metadata>',
      '<x:machine xmlns:x="urn:someone-else"><x:tag>theirs</x:tag></x:machine></metadata>',
    );
    expect(parseDomainXml(other).properties).toEqual(NO_PROPERTIES);
    expect(parseProperties(undefined)).toBe(NO_PROPERTIES);
  });
});
