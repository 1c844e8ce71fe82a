/** Turning what libvirt reported into Machines, one domain at a time, never failing the whole list. */
import { createHash } from 'node:crypto';
import type { DomainStateName } from '../../../libvirt/index.js';
import { DOMAIN_STATE_NAMES } from '../../../libvirt/index.js';
import { reportedAddress, type AgentInterface } from '../../network/index.js';
import { machineFromDomain, parseDomainXml, type DomainFacts } from '../domain-xml.js';
import type { Machine } from '../../../core/machine.js';
import type { HypervisorSnapshot, NetworkView } from './hypervisor-snapshot.js';

export interface MachineReadInput {
  provider: string;
  facts: DomainFacts;
  state: DomainStateName;
  rootVolumeCapacity: ReadonlyMap<string, number>;
  network: NetworkView;
  now: Date;
  agentInterfaces?: readonly AgentInterface[];
}

export function machineFromFacts(input: MachineReadInput): Machine {
  const mac = input.facts.interfaces[0]?.mac ?? '';
  const machine = machineFromDomain(input.facts, {
    provider: input.provider,
    stateCode: DOMAIN_STATE_NAMES.indexOf(input.state),
    ip: reportedAddress({
      mac,
      network: input.network.facts,
      leases: input.network.leases,
      now: input.now,
      agentInterfaces: input.agentInterfaces,
    }),
  });
  if (machine.rootDisk) machine.rootDisk.sizeBytes = input.rootVolumeCapacity.get(machine.rootDisk.path);
  return machine;
}

export interface SnapshotMachines {
  machines: Machine[];
  /** Domains whose XML could not be read, with the reason. */
  skipped: { name: string; reason: string }[];
}

/**
 * The facts of the domain XML seen in the last snapshot, by a digest of the XML (not the XML itself,
 * which would keep every document alive): a resync parses only the domains whose XML changed.
 */
export class ParsedDomains {
  private facts = new Map<string, DomainFacts>();
  private next = new Map<string, DomainFacts>();

  /** The facts of `xml`; throws as parseDomainXml does. */
  get(xml: string): DomainFacts {
    const key = createHash('sha1').update(xml).digest('base64');
    let facts = this.facts.get(key) ?? this.next.get(key);
    if (facts === undefined) facts = parseDomainXml(xml);
    this.next.set(key, facts);
    return facts;
  }

  /** Forgets the XML not seen since the last call. */
  rotate(): void {
    this.facts = this.next;
    this.next = new Map();
  }
}

export function machinesFromSnapshot(
  provider: string,
  snapshot: HypervisorSnapshot,
  ignoreVms: readonly string[],
  now: Date,
  parsed?: ParsedDomains,
): SnapshotMachines {
  const ignored = new Set(ignoreVms);
  const machines: Machine[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const entry of snapshot.domains) {
    if (ignored.has(entry.name)) continue;
    let facts: DomainFacts;
    try {
      facts = parsed ? parsed.get(entry.xml) : parseDomainXml(entry.xml);
    } catch (err) {
      skipped.push({ name: entry.name, reason: (err as Error).message });
      continue;
    }
    machines.push(
      machineFromFacts({
        provider,
        facts,
        state: entry.state,
        rootVolumeCapacity: snapshot.rootVolumeCapacity,
        network: snapshot.network,
        now,
      }),
    );
  }
  parsed?.rotate();
  machines.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { machines, skipped };
}
