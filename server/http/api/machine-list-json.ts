/**
 * The machine arrays of `GET /api/machines/`, written once and reused. The machine cache hands out
 * deeply frozen Machines (and, for an unfiltered list, its frozen array), which cannot change: their
 * text is kept beside them (WeakMaps, so it goes with them) and the next list joins it instead of
 * formatting again. Machines that are not frozen (other MachineService implementations) are written
 * afresh every time.
 */
import type { Machine } from '../../machines/machine.js';
import { machineToJson } from '../../machines/machine-json.js';
import { formatGoJsonAt, PreformattedJson } from './go-json.js';

/** Where a provider's array starts in {"Machines": {"P": [ … ]}}: two levels in. */
const LIST_INDENT = '    ';
const ITEM_INDENT = `${LIST_INDENT}  `;

const machineTexts = new WeakMap<Machine, string>();
const listTexts = new WeakMap<readonly Machine[], PreformattedJson>();

function machineText(machine: Machine): string {
  if (!Object.isFrozen(machine)) return formatGoJsonAt(machineToJson(machine), ITEM_INDENT);
  let text = machineTexts.get(machine);
  if (text === undefined) {
    text = formatGoJsonAt(machineToJson(machine), ITEM_INDENT);
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
