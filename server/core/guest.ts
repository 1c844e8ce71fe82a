/**
 * What the QEMU guest agent inside a running machine tells of it (issue 16): whether the agent
 * answers and its version, the OS, kernel, hostname, timezone, logged-in users, filesystems with
 * their use, and network cards with every address. A machine whose agent does not answer (none
 * installed, no channel, hung, or the machine not running) still has facts: `agent.answering` is
 * false with the reason, and the rest is absent.
 */
import type { MachineState } from './machine.js';

export interface GuestAgentStatus {
  answering: boolean;
  /** The agent's version (guest-info) when it answers. */
  version?: string;
  /** Why not, when it does not: "guest agent not answering: …". */
  error?: string;
}

export interface GuestOsFacts {
  id?: string;
  name?: string;
  prettyName?: string;
  version?: string;
  versionId?: string;
  kernelRelease?: string;
  kernelVersion?: string;
  machine?: string;
}

export interface GuestUserFacts {
  name: string;
  domain?: string;
  loginTime?: Date;
}

export interface GuestFilesystemFacts {
  mountpoint: string;
  device: string;
  type: string;
  totalBytes?: number;
  usedBytes?: number;
}

export interface GuestAddressFacts {
  type: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

export interface GuestNicFacts {
  name: string;
  mac?: string;
  addresses: GuestAddressFacts[];
}

export interface GuestFacts {
  machine: { provider: string; id: string; name: string; state: MachineState };
  agent: GuestAgentStatus;
  os?: GuestOsFacts;
  hostname?: string;
  timezone?: { name?: string; offsetSeconds?: number };
  users?: GuestUserFacts[];
  filesystems?: GuestFilesystemFacts[];
  nics?: GuestNicFacts[];
  /** When the panel asked. */
  readAt: Date;
}

export interface GuestService {
  /** 'not-found' for an unknown machine; an agent that does not answer is not an error (see GuestFacts). */
  getGuestFacts(provider: string, id: string): Promise<GuestFacts>;
}
