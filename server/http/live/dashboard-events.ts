/**
 * What the dashboard's stream (GET /events/) sends of each journaled event: the names and compact
 * machine form static/js/live.js updates pages with, after the provider states of the moment.
 */
import type { JournalEvent } from '../../core/events.js';
import type { ProviderAvailability } from '../../core/provider.js';
import type { MachineService } from '../../core/services.js';
import type { Response } from 'express';
import { machineSummary } from '../pages/machine-view.js';
import { sseBlock, type StreamFormat } from './event-stream.js';

function providerData(provider: ProviderAvailability): string {
  return JSON.stringify({
    name: provider.name,
    state: provider.state,
    ...(provider.error ? { error: provider.error } : {}),
    since: provider.since.toISOString(),
  });
}

export function dashboardFormat(servicesOf: (res: Response) => Pick<MachineService, 'providerStates'>): StreamFormat {
  return {
    opening: (res) =>
      servicesOf(res)
        .providerStates()
        .map((provider) => sseBlock('provider', providerData(provider))),
    event({ event }: JournalEvent) {
      switch (event.type) {
        case 'provider':
          return { name: 'provider', data: providerData(event.provider) };
        case 'machine':
          return { name: 'machine', data: JSON.stringify(machineSummary(event.machine)) };
        case 'machine-removed':
          return { name: 'machine-removed', data: JSON.stringify({ provider: event.provider, id: event.id, name: event.name }) };
      }
    },
  };
}
