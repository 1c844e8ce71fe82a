/**
 * The machine arrays of `GET /api/machines/`, written once and reused. The service's list snapshots
 * are deeply frozen and keep the same array for as long as their version (MachineListSnapshot), so
 * a machine's text and a list's text are kept beside them (WeakMaps, so they go with them) and the
 * next list joins them instead of formatting again. Machines that are not frozen are written afresh.
 */
import type { Machine } from '../../core/machine.js';
import { encodeGoJsonString, formatGoJsonAt, PreformattedJson } from '../../formats/go/json.js';
import { machineToJson, type VmJson } from './machine-json.js';

/** Where a provider's array starts in {"Machines": {"P": [ … ]}}: two levels in. */
const LIST_INDENT = '    ';
const ITEM_INDENT = `${LIST_INDENT}  `;

const machineTexts = new WeakMap<Machine, string>();
const listTexts = new WeakMap<readonly Machine[], PreformattedJson>();

const str = (value: unknown): value is string => typeof value === 'string';
const num = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * formatGoJsonAt(vm, indent) for the VmJson machineToJson makes, written field by field (a cold
 * 1000-machine list: about 25 -> 5 ms); undefined when a value is not of its usual kind, which
 * then takes the general writer (and its errors).
 */
export function writeVmJson(vm: VmJson, indent: string): string | undefined {
  const i1 = `${indent}  `;
  const i2 = `${i1}  `;
  const i3 = `${i2}  `;
  if (
    !str(vm.Id) ||
    !str(vm.Name) ||
    !str(vm.Plan) ||
    !str(vm.Creator) ||
    !str(vm.OS) ||
    !str(vm.Arch) ||
    !num(vm.Memory) ||
    !num(vm.Cpus) ||
    !str(vm.ImageId) ||
    !str(vm.HWAddr) ||
    !str(vm.VNCAddr) ||
    !str(vm.State) ||
    typeof vm.Managed !== 'boolean' ||
    !str(vm.Provider) ||
    !Array.isArray(vm.SSHKeys) ||
    !Array.isArray(vm.Tags) ||
    !str(vm.Description) ||
    vm.Autostart !== undefined
  ) {
    return undefined;
  }
  let ip = 'null';
  if (vm.Ip !== null) {
    const { Address, Gateway, Netmask, UsedBy } = vm.Ip;
    if (!str(Address) || !str(Gateway) || !num(Netmask) || !str(UsedBy)) return undefined;
    ip =
      `{\n${i2}"Address": ${encodeGoJsonString(Address)},\n${i2}"Gateway": ${encodeGoJsonString(Gateway)},\n` +
      `${i2}"Netmask": ${String(Netmask)},\n${i2}"UsedBy": ${encodeGoJsonString(UsedBy)}\n${i1}}`;
  }
  let rootDisk = 'null';
  if (vm.RootDisk !== null) {
    const { Size, Driver, Type } = vm.RootDisk;
    if (!num(Size) || !str(Driver) || !str(Type)) return undefined;
    rootDisk = `{\n${i2}"Size": ${String(Size)},\n${i2}"Driver": ${encodeGoJsonString(Driver)},\n${i2}"Type": ${encodeGoJsonString(Type)}\n${i1}}`;
  }
  let keys = '[]';
  if (vm.SSHKeys.length > 0) {
    const parts: string[] = [];
    for (const key of vm.SSHKeys) {
      if (typeof key !== 'object' || key === null || !str(key.Name) || !str(key.Public)) return undefined;
      parts.push(
        `${i2}{\n${i3}"Name": ${encodeGoJsonString(key.Name)},\n${i3}"Public": ${encodeGoJsonString(key.Public)}\n${i2}}`,
      );
    }
    keys = `[\n${parts.join(',\n')}\n${i1}]`;
  }
  let tags = '[]';
  if (vm.Tags.length > 0) {
    const parts: string[] = [];
    for (const tag of vm.Tags) {
      if (!str(tag)) return undefined;
      parts.push(`${i2}${encodeGoJsonString(tag)}`);
    }
    tags = `[\n${parts.join(',\n')}\n${i1}]`;
  }
  let label = 'null';
  if (vm.Label !== null) {
    if (typeof vm.Label !== 'object' || !str(vm.Label.Name) || !str(vm.Label.Colour)) return undefined;
    label = `{\n${i2}"Name": ${encodeGoJsonString(vm.Label.Name)},\n${i2}"Colour": ${encodeGoJsonString(vm.Label.Colour)}\n${i1}}`;
  }
  // Joined, not concatenated: the text is kept (a flat string, not a tree of ~90 pieces per machine).
  return [
    `{\n${i1}"Id": `,
    encodeGoJsonString(vm.Id),
    `,\n${i1}"Name": `,
    encodeGoJsonString(vm.Name),
    `,\n${i1}"Plan": `,
    encodeGoJsonString(vm.Plan),
    `,\n${i1}"Creator": `,
    encodeGoJsonString(vm.Creator),
    `,\n${i1}"OS": `,
    encodeGoJsonString(vm.OS),
    `,\n${i1}"Arch": `,
    encodeGoJsonString(vm.Arch),
    `,\n${i1}"Memory": `,
    String(vm.Memory),
    `,\n${i1}"Cpus": `,
    String(vm.Cpus),
    `,\n${i1}"ImageId": `,
    encodeGoJsonString(vm.ImageId),
    `,\n${i1}"Ip": `,
    ip,
    `,\n${i1}"HWAddr": `,
    encodeGoJsonString(vm.HWAddr),
    `,\n${i1}"VNCAddr": `,
    encodeGoJsonString(vm.VNCAddr),
    `,\n${i1}"RootDisk": `,
    rootDisk,
    `,\n${i1}"SSHKeys": `,
    keys,
    `,\n${i1}"State": `,
    encodeGoJsonString(vm.State),
    `,\n${i1}"Managed": `,
    vm.Managed ? 'true' : 'false',
    `,\n${i1}"Provider": `,
    encodeGoJsonString(vm.Provider),
    `,\n${i1}"Tags": `,
    tags,
    `,\n${i1}"Label": `,
    label,
    `,\n${i1}"Description": `,
    encodeGoJsonString(vm.Description),
    `\n${indent}}`,
  ].join('');
}

function formatMachine(machine: Machine): string {
  const vm = machineToJson(machine);
  return writeVmJson(vm, ITEM_INDENT) ?? formatGoJsonAt(vm, ITEM_INDENT);
}

function machineText(machine: Machine): string {
  if (!Object.isFrozen(machine)) return formatMachine(machine);
  let text = machineTexts.get(machine);
  if (text === undefined) {
    text = formatMachine(machine);
    machineTexts.set(machine, text);
  }
  return text;
}

/** A provider's machines as the list writes them (formatGoJson of `list.map(machineToJson)`). */
export function machineListJson(list: readonly Machine[]): PreformattedJson {
  const cached = listTexts.get(list);
  if (cached) return cached;
  let text = '[]';
  if (list.length > 0) {
    const parts: string[] = [];
    for (const machine of list) parts.push(ITEM_INDENT + machineText(machine));
    text = `[\n${parts.join(',\n')}\n${LIST_INDENT}]`;
  }
  const json = new PreformattedJson(LIST_INDENT, text, () => list.map(machineToJson));
  if (Object.isFrozen(list)) listTexts.set(list, json);
  return json;
}
