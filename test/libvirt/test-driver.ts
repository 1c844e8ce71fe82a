// Shared bits of the test-driver suites: libvirt's test driver keeps a private copy
// of the fixture per connection, so every test file can change it freely.
import { fileURLToPath } from 'node:url';

export const FIXTURE_PATH = fileURLToPath(new URL('./fixtures/node.xml', import.meta.url));
export const FIXTURE_URI = `test://${FIXTURE_PATH}`;

export const DOMAIN_ONE_UUID = 'fb6c4f62-2cf3-4623-9aee-23f0005eb5fb';
export const VMANGO_NS = 'http://vmango.org/schema/md';

/** A minimal domain definition the test driver accepts. */
export function testDomainXml(name: string, uuid?: string): string {
  return `<domain type='test'>
  <name>${name}</name>${uuid !== undefined ? `\n  <uuid>${uuid}</uuid>` : ''}
  <memory unit='KiB'>65536</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;
}
