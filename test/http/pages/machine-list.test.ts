import { describe, expect, it } from 'vitest';
import { listQueryFrom, sortLinks, sortRows } from '../../../server/http/pages/machine-list.js';
import type { MachineSummary } from '../../../server/http/pages/machine-view.js';

function row(name: string, memoryBytes: number, cpus: number): MachineSummary {
  return {
    provider: 'P',
    id: name,
    name,
    state: 'running',
    libvirtState: 'running',
    ip: '',
    cpus,
    memory: '',
    memoryBytes,
    plan: '',
    image: '',
    actions: [],
    url: '',
    tags: [],
  };
}

describe('machine list query', () => {
  it('ignores unknown providers, states and sort keys', () => {
    const query = listQueryFrom({ provider: 'NOPE', state: 'exploded', sort: 'evil', q: '  web ' }, ['DEMO']);
    expect(query).toEqual({ filter: { q: 'web' }, sort: 'name', descending: false });
  });

  it('sorts numerically by memory and by name with numbers in order', () => {
    const rows = [row('web-10', 2048, 1), row('web-2', 512, 4), row('db', 1024, 2)];
    expect(sortRows(rows, 'name', false).map((r) => r.name)).toEqual(['db', 'web-2', 'web-10']);
    expect(sortRows(rows, 'memory', true).map((r) => r.name)).toEqual(['web-10', 'db', 'web-2']);
    expect(sortRows(rows, 'cpus', false).map((r) => r.name)).toEqual(['web-10', 'db', 'web-2']);
  });

  it('links the current column to the other direction, keeping the filters', () => {
    const links = sortLinks({ filter: { q: 'a&b', state: 'running' }, sort: 'name', descending: false });
    expect(links.name).toEqual({ href: '/machines/?q=a%26b&state=running&sort=name&dir=desc', current: 'ascending' });
    expect(links.memory.current).toBe('none');
    expect(links.memory.href).not.toContain('dir=');
  });
});
