/** The machines page's filters and sort order, from the query string. */
import { isMachineState } from '../../core/machine.js';
import { isTag } from '../../core/machine-properties.js';
import type { MachineFilter } from '../../core/requests.js';
import type { MachineSummary } from './machine-view.js';

export const SORT_KEYS = ['name', 'state', 'ip', 'cpus', 'memory', 'plan', 'image', 'provider'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ListQuery {
  filter: MachineFilter;
  sort: SortKey;
  descending: boolean;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
}

/** Unknown values are ignored rather than refused: this is a page, not the API. */
export function listQueryFrom(query: Record<string, unknown>, providers: readonly string[]): ListQuery {
  const filter: MachineFilter = {};
  const q = text(query.q);
  if (q) filter.q = q;
  const provider = text(query.provider);
  if (provider && providers.includes(provider)) filter.provider = provider;
  const state = text(query.state);
  if (isMachineState(state)) filter.state = state;
  const tag = text(query.tag);
  if (isTag(tag)) filter.tag = tag;
  const sortText = text(query.sort);
  const sort = (SORT_KEYS as readonly string[]).includes(sortText ?? '') ? (sortText as SortKey) : 'name';
  return { filter, sort, descending: query.dir === 'desc' };
}

function sortValue(row: MachineSummary, key: SortKey): string | number {
  switch (key) {
    case 'cpus':
      return row.cpus;
    case 'memory':
      return row.memoryBytes;
    default:
      return row[key];
  }
}

export function sortRows(rows: MachineSummary[], sort: SortKey, descending: boolean): MachineSummary[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, sort);
    const y = sortValue(b, sort);
    const order =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y), 'en', { numeric: true, sensitivity: 'base' });
    return sign * (order || a.name.localeCompare(b.name));
  });
}

/** Links of the column headers: the same filters, this column, the other direction if it is the current one. */
export function sortLinks(query: ListQuery): Record<SortKey, { href: string; current: 'ascending' | 'descending' | 'none' }> {
  const links = {} as Record<SortKey, { href: string; current: 'ascending' | 'descending' | 'none' }>;
  for (const key of SORT_KEYS) {
    const params = new URLSearchParams();
    if (query.filter.q) params.set('q', query.filter.q);
    if (query.filter.provider) params.set('provider', query.filter.provider);
    if (query.filter.state) params.set('state', query.filter.state);
    params.set('sort', key);
    const isCurrent = query.sort === key;
    if (isCurrent && !query.descending) params.set('dir', 'desc');
    links[key] = {
      href: `/machines/?${params.toString()}`,
      current: isCurrent ? (query.descending ? 'descending' : 'ascending') : 'none',
    };
  }
  return links;
}
