import { describeValue, isPlainObject } from './describe-value.js';
import type { BlockReader } from './fields.js';
import type { Problems } from './problems.js';

export interface LabeledBlock {
  name: string;
  reader: BlockReader;
}

export const NAME_RULE = '1 to 128 characters, no control characters, no "/", no leading or trailing spaces';

export function nameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 128 || /[\u0000-\u001f\u007f/]/.test(name) || name.trim() !== name) {
    return `invalid name ${JSON.stringify(name)}: allowed is ${NAME_RULE}`;
  }
  return undefined;
}

/**
 * Reads the `TYPE "NAME" { … }` blocks of the top level. hcl2json shapes them as
 * `{ NAME: [body, body…] }` (one body per declaration of that name; sorted by name).
 */
export function readLabeledBlocks(root: Record<string, unknown>, type: string, problems: Problems): LabeledBlock[] {
  const value = Object.hasOwn(root, type) ? root[type] : undefined;
  const form = `${type} "NAME" { … }`;
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    problems.add(type, `a ${type} block needs a name label: write ${form}`);
    return [];
  }
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    problems.add(type, `must be written as blocks, ${form}, got ${describeValue(value)}`);
    return [];
  }
  const blocks: LabeledBlock[] = [];
  for (const [name, declarations] of Object.entries(value)) {
    const path = `${type}.${name}`;
    if (isPlainObject(declarations)) {
      problems.add(path, `a ${type} block takes exactly one label, its name: write ${form}`);
      continue;
    }
    if (!Array.isArray(declarations) || declarations.length === 0 || !declarations.every(isPlainObject)) {
      problems.add(path, `must be a block, ${form}, got ${describeValue(declarations)}`);
      continue;
    }
    const badName = nameProblem(name);
    if (badName) {
      problems.add(path, `${type} ${badName}`);
      continue;
    }
    if (declarations.length > 1) {
      problems.add(path, `duplicated ${type} name '${name}': each ${type} must have a different name`);
    }
    // Every declaration is read, so the problems inside a duplicated block are reported too (the
    // duplicate alone already refuses the file).
    for (const body of declarations)
      blocks.push({ name, reader: { body: body as Record<string, unknown>, prefix: path, problems } });
  }
  return blocks;
}
