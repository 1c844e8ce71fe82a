// writeVmJson (the machine list's field-by-field writer) against the general Go-JSON writer it
// stands in for: the same text for every machine, and no text (the general writer then) for
// values of another kind.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoJsonAt } from '../../../server/formats/go/json.js';
import { machineListJson, writeVmJson } from '../../../server/http/api/machine-list-json.js';
import type { Machine } from '../../../server/core/machine.js';
import { NO_PROPERTIES } from '../../../server/core/machine-properties.js';
import { machineToJson, type VmJson } from '../../../server/http/api/machine-json.js';

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('a', 'é', '"', '\\', '<', '>', '&', '\n', '\t', '\u0001', '\u2028', '\ud800', '😀', ' ') }),
);
const number = fc.oneof(
  fc.nat(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 2 ** 53, 1e21, 0.1),
);
const machine: fc.Arbitrary<Machine> = fc.record({
  id: text,
  name: text,
  state: fc.constantFrom('running', 'stopped', 'paused', 'unknown'),
  libvirtState: fc.constant('running'),
  plan: text,
  creator: text,
  os: text,
  arch: fc.constantFrom('x86_64', 'x86', 'unknown'),
  memoryBytes: number,
  cpus: number,
  imageId: text,
  hwaddr: text,
  vncAddr: text,
  userdata: text,
  managed: fc.boolean(),
  provider: text,
  ip: fc.option(fc.record({ address: text, source: fc.constantFrom('lease', 'reservation', 'agent') }), { nil: undefined }),
  rootDisk: fc.option(fc.record({ path: text, sizeBytes: fc.option(number, { nil: undefined }), driver: text, type: text }), {
    nil: undefined,
  }),
  sshKeys: fc.array(fc.record({ name: text, public: text }), { maxLength: 3 }),
  properties: fc.record({
    tags: fc.array(text, { maxLength: 3 }),
    label: fc.option(fc.record({ name: text, colour: text }), { nil: undefined }),
    description: text,
  }),
}) as fc.Arbitrary<Machine>;

describe('writeVmJson', () => {
  it('writes what formatGoJsonAt writes for every machine, at any indent (property)', () => {
    fc.assert(
      fc.property(machine, fc.constantFrom('', '  ', '      '), (m, indent) => {
        const vm = machineToJson(m);
        expect(writeVmJson(vm, indent)).toBe(formatGoJsonAt(vm, indent));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves values of another kind to the general writer, which the list then uses', () => {
    const vm = machineToJson({
      id: 'a',
      name: 'n',
      state: 'running',
      libvirtState: 'running',
      plan: '',
      creator: '',
      os: '',
      arch: 'x86_64',
      memoryBytes: 1,
      cpus: 1,
      imageId: '',
      hwaddr: '',
      vncAddr: '',
      sshKeys: [],
      userdata: '',
      managed: false,
      provider: 'P',
      properties: NO_PROPERTIES,
    });
    const odd: Partial<Record<keyof VmJson, unknown>>[] = [
      { Memory: Number.NaN },
      { Cpus: Infinity },
      { Name: 5 },
      { Managed: 'yes' },
      { SSHKeys: [{ Name: 'k' }] },
      { Ip: { Address: 'x', Gateway: '', Netmask: Number.NaN, UsedBy: '' } },
      { RootDisk: { Size: 1, Driver: 2, Type: '' } },
      { Provider: undefined },
      { Tags: [1] },
      { Label: { Name: 'x' } },
      { Description: null },
      { Autostart: true },
    ];
    for (const change of odd) expect(writeVmJson({ ...vm, ...change } as VmJson, '  ')).toBeUndefined();
    // A machine whose memory is not a finite number fails the list as before.
    const broken = { ...machineFromJson(vm), memoryBytes: Number.NaN } as Machine;
    expect(() => machineListJson([broken])).toThrow(/cannot write NaN as JSON/);
  });
});

function machineFromJson(vm: VmJson): Machine {
  return {
    id: vm.Id,
    name: vm.Name,
    state: vm.State,
    libvirtState: 'running',
    plan: vm.Plan,
    creator: vm.Creator,
    os: vm.OS,
    arch: vm.Arch,
    memoryBytes: vm.Memory,
    cpus: vm.Cpus,
    imageId: vm.ImageId,
    hwaddr: vm.HWAddr,
    vncAddr: vm.VNCAddr,
    sshKeys: [],
    userdata: '',
    managed: vm.Managed,
    provider: vm.Provider,
    properties: NO_PROPERTIES,
  };
}
