/**
 * JSON for what 0.6 had no API for: providers (named after 0.6's StatusInfo fields, plus
 * connection state), plans (0.6's Plan fields plus its MemoryMegabytes/DiskSizeGigabytes) and
 * SSH keys (0.6's SSHKey plus the fingerprint).
 */
import type { PlanConfig, SshKeyConfig } from '../../config/index.js';
import type { ProviderAvailability, ProviderSummary, UsageFigures } from '../../core/provider.js';
import { sortedByKey } from '../../formats/go/json.js';
import { sshKeyFingerprint } from '../../formats/ssh-fingerprint.js';

export interface AvailabilityJson {
  State: ProviderAvailability['state'];
  Error: string;
  Since: string;
}

/** The `Providers` map the machine and image lists carry next to their data. */
export function availabilityMap(providers: readonly ProviderAvailability[]): Map<string, AvailabilityJson> {
  return sortedByKey(
    providers.map((p) => [p.name, { State: p.state, Error: p.error ?? '', Since: p.since.toISOString() }] as const),
  );
}

export interface UsageJson {
  Total: number;
  Used: number;
  /** Whole percent. */
  Usage: number;
}

export interface ProviderJson {
  Name: string;
  Type: 'libvirt';
  Description: string;
  Connection: string;
  State: ProviderSummary['state'];
  Error: string;
  Since: string;
  Hostname: string | null;
  LibvirtVersion: string | null;
  HypervisorVersion: string | null;
  MachineCount: number | null;
  Memory: UsageJson | null;
  Storage: UsageJson | null;
}

export function providerToJson(summary: ProviderSummary): ProviderJson {
  return {
    Name: summary.name,
    Type: 'libvirt',
    Description: summary.hostname ? `KVM hypervisor ${summary.hostname}` : 'KVM hypervisor',
    Connection: summary.uri,
    State: summary.state,
    Error: summary.error ?? '',
    Since: summary.since.toISOString(),
    Hostname: summary.hostname ?? null,
    LibvirtVersion: summary.libvirtVersion ?? null,
    HypervisorVersion: summary.hypervisorVersion ?? null,
    MachineCount: summary.machineCount ?? null,
    Memory: usageToJson(summary.memory),
    Storage: usageToJson(summary.storage),
  };
}

function usageToJson(usage: UsageFigures | undefined): UsageJson | null {
  return usage ? { Total: usage.totalBytes, Used: usage.usedBytes, Usage: usage.usagePercent } : null;
}

export interface PlanJson {
  Name: string;
  Memory: number;
  Cpus: number;
  DiskSize: number;
  MemoryMegabytes: number;
  DiskSizeGigabytes: number;
}

export function planToJson(plan: PlanConfig): PlanJson {
  return {
    Name: plan.name,
    Memory: plan.memoryBytes,
    Cpus: plan.cpus,
    DiskSize: plan.diskSizeBytes,
    MemoryMegabytes: plan.memoryMiB,
    DiskSizeGigabytes: plan.diskSizeGiB,
  };
}

export interface SshKeyWithFingerprintJson {
  Name: string;
  Public: string;
  Fingerprint: string;
}

export function sshKeyToJson(key: SshKeyConfig): SshKeyWithFingerprintJson {
  return { Name: key.name, Public: key.public, Fingerprint: sshKeyFingerprint(key.public) ?? '' };
}
