/** Reading one machine fresh from its domain (detail pages, and the answer to create/delete/actions). */
import type { HypervisorConfig } from '../../../config/index.js';
import type { Connection, Domain } from '../../../libvirt/index.js';
import { isHypervisorLost } from '../../../hypervisors/provider-errors.js';
import type { AgentInterface } from '../../network/index.js';
import { parseDomainXml, findRootDisk, diskSourcePath } from '../domain-xml.js';
import type { Machine } from '../../../core/machine.js';
import { machineFromFacts } from './machines-from-snapshot.js';
import { readNetworkView } from './hypervisor-snapshot.js';

export interface ReadMachineOptions {
  /** Ask the guest agent for an address when neither a lease nor a reservation gives one. */
  askAgent?: boolean;
  agentTimeoutMs?: number;
}

async function rootDiskCapacity(conn: Connection, path: string): Promise<Map<string, number>> {
  if (path === '') return new Map();
  try {
    const volume = await conn.lookupStorageVolumeByPath(path);
    return new Map([[path, (await volume.getInfo()).capacity]]);
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    return new Map();
  }
}

async function agentInterfaces(domain: Domain, timeoutMs: number): Promise<AgentInterface[]> {
  try {
    const nics = await domain.interfaceAddresses('agent', { timeoutMs });
    return nics.map((nic) => ({
      hwaddr: nic.hwaddr ?? undefined,
      addrs: nic.addrs.map((a) => ({ addr: a.addr, type: a.type })),
    }));
  } catch {
    // No agent, or it did not answer: the address is simply unknown.
    return [];
  }
}

export async function readMachine(
  conn: Connection,
  hv: HypervisorConfig,
  domain: Domain,
  now: () => Date,
  options: ReadMachineOptions = {},
): Promise<Machine> {
  const [xml, state, autostart] = await Promise.all([domain.getXmlDesc(), domain.getState(), readAutostart(domain)]);
  const facts = parseDomainXml(xml);
  const root = findRootDisk(facts);
  const problems: string[] = [];
  const [capacity, network] = await Promise.all([
    rootDiskCapacity(conn, root ? diskSourcePath(root) : ''),
    readNetworkView(conn, hv, problems),
  ]);
  let machine = machineFromFacts({
    provider: hv.name,
    facts,
    state: state.state,
    rootVolumeCapacity: capacity,
    network,
    now: now(),
  });
  if (!machine.ip && options.askAgent && machine.state === 'running' && machine.hwaddr !== '') {
    const agent = await agentInterfaces(domain, options.agentTimeoutMs ?? 2_000);
    if (agent.length > 0) {
      machine = machineFromFacts({
        provider: hv.name,
        facts,
        state: state.state,
        rootVolumeCapacity: capacity,
        network,
        now: now(),
        agentInterfaces: agent,
      });
    }
  }
  return autostart === undefined ? machine : { ...machine, autostart };
}

async function readAutostart(domain: Domain): Promise<boolean | undefined> {
  try {
    return await domain.getAutostart();
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    return undefined;
  }
}
