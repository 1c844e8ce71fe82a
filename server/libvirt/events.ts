import {
  LIFECYCLE_DETAIL_NAMES,
  LIFECYCLE_EVENT_NAMES,
  METADATA_KIND_BY_NUMBER,
  type LifecycleEventName,
  type MetadataKind,
} from './constants.js';

export type DomainEventKind = 'lifecycle' | 'reboot' | 'device-removed' | 'metadata-change';

export interface DomainEvent {
  kind: DomainEventKind;
  domainName: string;
  domainUuid: string;
  /** lifecycle: 'defined', 'started', 'stopped', … */
  event?: LifecycleEventName;
  /** lifecycle: detail name for the event, e.g. 'booted', 'destroyed', 'added'. */
  detail?: string;
  /** device-removed: the device alias. */
  devAlias?: string;
  /** metadata-change: which metadata changed. */
  metadataType?: MetadataKind;
  /** metadata-change of an element: its namespace URI. */
  nsUri?: string;
}

interface RawEvent {
  kind: DomainEventKind;
  domainName: string;
  domainUuid: string;
  event?: number;
  detail?: number;
  devAlias?: string;
  metadataType?: number;
  nsUri?: string | null;
}

export function toDomainEvent(payload: unknown): DomainEvent | undefined {
  const raw = payload as RawEvent;
  if (typeof raw !== 'object' || raw === null || typeof raw.kind !== 'string') return undefined;
  const event: DomainEvent = { kind: raw.kind, domainName: raw.domainName, domainUuid: raw.domainUuid };
  if (raw.kind === 'lifecycle' && raw.event !== undefined) {
    const name = LIFECYCLE_EVENT_NAMES[raw.event];
    event.event = name ?? (`unknown-${raw.event}` as LifecycleEventName);
    const details = name !== undefined ? LIFECYCLE_DETAIL_NAMES[name] : undefined;
    event.detail = details?.[raw.detail ?? -1] ?? `unknown-${String(raw.detail)}`;
  }
  if (raw.devAlias !== undefined) event.devAlias = raw.devAlias;
  if (raw.metadataType !== undefined) event.metadataType = METADATA_KIND_BY_NUMBER[raw.metadataType] ?? 'element';
  if (typeof raw.nsUri === 'string') event.nsUri = raw.nsUri;
  return event;
}
