/** What the panel knows about a hypervisor (a "provider", as vmango 0.6 called it). */

export const PROVIDER_STATES = ['connecting', 'connected', 'unavailable'] as const;
export type ProviderState = (typeof PROVIDER_STATES)[number];

/** A provider's health, as lists report it next to their data. */
export interface ProviderAvailability {
  name: string;
  state: ProviderState;
  /** Why it is unavailable (or the last failure while connecting). */
  error?: string;
  /** When the current state began. */
  since: Date;
}

/** A provider's connection as the connection layer tracks it. */
export interface ProviderStatus extends ProviderAvailability {
  /** The libvirt URI without secrets (no password, no query string). */
  uri: string;
}

export interface UsageFigures {
  totalBytes: number;
  usedBytes: number;
  /** Whole percent, as 0.6's StatusInfo. */
  usagePercent: number;
}

/** A provider's card: its connection and, while connected, facts about the host. */
export interface ProviderSummary extends ProviderStatus {
  hostname?: string;
  libvirtVersion?: string;
  hypervisorVersion?: string;
  machineCount?: number;
  memory?: UsageFigures;
  storage?: UsageFigures;
}
