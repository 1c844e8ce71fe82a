import { describe, expect, it } from 'vitest';
import { formatGoJson, PreformattedJson } from '../../../server/formats/go/json.js';
import { machineListJson } from '../../../server/http/api/machine-list-json.js';
import type { Machine } from '../../../server/core/machine.js';
import { NO_PROPERTIES } from '../../../server/core/machine-properties.js';
import { machineToJson } from '../../../server/http/api/machine-json.js';

function machine(name: string, extra: Partial<Machine> = {}): Machine {
  return {
    id: `${name.padEnd(32, '0')}`.slice(0, 32),
    name,
    state: 'running',
    libvirtState: 'running',
    plan: 'small',
    creator: 'admin',
    os: 'Cirros <0.6> & "x"',
    arch: 'x86_64',
    memoryBytes: 536870912,
    cpus: 1,
    imageId: 'img',
    hwaddr: '52:54:00:00:00:01',
    vncAddr: '127.0.0.1:5900',
    rootDisk: { path: '/p/a_disk', sizeBytes: 1024, driver: 'qemu', type: 'qcow2' },
    ip: { address: '10.0.0.2', source: 'lease' },
    sshKeys: [{ name: 'k', public: 'ssh-ed25519 AAAA' }],
    userdata: '',
    managed: true,
    provider: 'P',
    properties: NO_PROPERTIES,
    ...extra,
  };
}

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) freezeDeep(inner);
    Object.freeze(value);
  }
  return value;
}

const body = (lists: [string, readonly Machine[]][], json: (list: readonly Machine[]) => unknown) =>
  formatGoJson({ Machines: new Map(lists.map(([p, l]) => [p, json(l)])), Title: 'Machines' });

describe('machineListJson', () => {
  it('writes the same bytes as formatting machineToJson, frozen or not, empty or not', () => {
    const plain = [machine('a'), machine('b', { ip: undefined, rootDisk: undefined, sshKeys: [] })];
    const frozen = freezeDeep([machine('c'), machine('d', { name: 'd\u2028' })]);
    const lists: [string, readonly Machine[]][] = [
      ['A', plain],
      ['B', frozen],
      ['C', []],
      ['D', Object.freeze([])],
    ];
    const expected = body(lists, (l) => l.map(machineToJson));
    expect(body(lists, machineListJson)).toBe(expected);
    // Again, from the cached text.
    expect(body(lists, machineListJson)).toBe(expected);
  });

  it('reuses the text of a frozen list and is formatted afresh at another indent', () => {
    const list = freezeDeep([machine('a')]);
    const first = machineListJson(list);
    expect(machineListJson(list)).toBe(first);
    expect(formatGoJson({ X: first })).toBe(formatGoJson({ X: list.map(machineToJson) }));
  });

  it('does not cache machines that are not frozen', () => {
    const list = [machine('a')];
    const before = machineListJson(list).text;
    list[0]!.name = 'changed';
    const after = machineListJson(list);
    expect(after.text).not.toBe(before);
    expect(after).toBeInstanceOf(PreformattedJson);
    expect(body([['P', list]], machineListJson)).toBe(body([['P', list]], (l) => l.map(machineToJson)));
  });
});
