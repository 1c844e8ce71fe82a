/**
 * Guest facts (core/guest.ts) from the machine's QEMU guest agent: guest-ping first (a short
 * deadline: a guest without a working agent costs the caller about PING_TIMEOUT_MS), then
 * guest-info and virDomainGetGuestInfo. An agent that does not answer is a fact, not a failure:
 * the answer says so and why. The agent calls run on the hypervisor's guest agent connections
 * (server/libvirt/agent.ts), so nothing here holds up the machine list or other machines.
 */
import type { GuestFacts, GuestService } from '../../core/guest.js';
import type { Logger } from '../../core/log.js';
import type { Machine } from '../../core/machine.js';
import { isLibvirtError, type GuestAgent, type GuestInfo } from '../../libvirt/index.js';
import type { MachineServiceHandle } from '../machines/service.js';

export interface GuestServiceDeps {
  machines: Pick<MachineServiceHandle, 'readMachine'>;
  logger: Logger;
  clock?: () => Date;
}

/** An agent that answers at all answers a ping in milliseconds. */
export const PING_TIMEOUT_MS = 5_000;
/** Listing filesystems and interfaces takes the agent longer, more so under TCG. */
export const FACTS_TIMEOUT_MS = 15_000;

export const NOT_ANSWERING = 'guest agent not answering';

function reason(err: unknown): string {
  if (isLibvirtError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function factsOf(info: GuestInfo): Omit<GuestFacts, 'machine' | 'agent' | 'readAt'> {
  const facts: Omit<GuestFacts, 'machine' | 'agent' | 'readAt'> = {};
  if (info.os) {
    const { id, name, prettyName, version, versionId, kernelRelease, kernelVersion, machine } = info.os;
    facts.os = { id, name, prettyName, version, versionId, kernelRelease, kernelVersion, machine };
  }
  if (info.hostname !== undefined) facts.hostname = info.hostname;
  if (info.timezone) facts.timezone = { name: info.timezone.name, offsetSeconds: info.timezone.offset };
  if (info.users) {
    facts.users = info.users.map((u) => ({
      name: u.name,
      domain: u.domain,
      loginTime: u.loginTime === undefined ? undefined : new Date(u.loginTime),
    }));
  }
  if (info.filesystems) {
    facts.filesystems = info.filesystems.map((fs) => ({
      mountpoint: fs.mountpoint,
      device: fs.name,
      type: fs.type,
      totalBytes: fs.totalBytes,
      usedBytes: fs.usedBytes,
    }));
  }
  if (info.interfaces) {
    facts.nics = info.interfaces.map((nic) => ({
      name: nic.name,
      mac: nic.hwaddr,
      addresses: nic.addrs.map((a) => ({ type: a.type, address: a.addr, prefix: a.prefix })),
    }));
  }
  return facts;
}

export function createGuestService({ machines, logger, clock = () => new Date() }: GuestServiceDeps): GuestService {
  async function ask(machine: Machine, agent: GuestAgent): Promise<Pick<GuestFacts, 'agent'> & ReturnType<typeof factsOf>> {
    if (machine.state !== 'running') {
      return { agent: { answering: false, error: `${NOT_ANSWERING}: the machine is ${machine.state}` } };
    }
    try {
      await agent.ping({ timeoutMs: PING_TIMEOUT_MS });
    } catch (err) {
      logger.info({ machine: machine.name, provider: machine.provider, error: reason(err) }, 'guest agent not answering');
      return { agent: { answering: false, error: `${NOT_ANSWERING}: ${reason(err)}` } };
    }
    try {
      const [about, info] = await Promise.all([
        agent.info({ timeoutMs: FACTS_TIMEOUT_MS }),
        agent.guestInfo({ timeoutMs: FACTS_TIMEOUT_MS }),
      ]);
      return { agent: { answering: true, version: about.version }, ...factsOf(info) };
    } catch (err) {
      logger.info({ machine: machine.name, provider: machine.provider, error: reason(err) }, 'guest agent stopped answering');
      return { agent: { answering: false, error: `${NOT_ANSWERING}: ${reason(err)}` } };
    }
  }

  return {
    getGuestFacts(provider, id) {
      return machines.readMachine(provider, id, 'read the guest facts of', async ({ domain, read }) => {
        const machine = await read();
        const facts = await ask(machine, domain.agent());
        return {
          machine: { provider, id: machine.id, name: machine.name, state: machine.state },
          ...facts,
          readAt: clock(),
        };
      });
    },
  };
}
