/** The API's JSON for guest facts (GET /api/machines/{provider}/{id}/guest/; new, 0.6 had none). */
import type { GuestFacts } from '../../core/guest.js';
import type { MachineState } from '../../core/machine.js';

export interface GuestFactsJson {
  Machine: { Provider: string; Id: string; Name: string; State: MachineState };
  Agent: { Answering: true; Version: string } | { Answering: false; Error: string };
  Os: {
    Id: string;
    Name: string;
    PrettyName: string;
    Version: string;
    VersionId: string;
    KernelRelease: string;
    KernelVersion: string;
    Machine: string;
  } | null;
  Hostname: string;
  Timezone: { Name: string; OffsetSeconds: number | null } | null;
  Users: { Name: string; Domain: string; LoginTime: string | null }[];
  Filesystems: { Mountpoint: string; Device: string; Type: string; TotalBytes: number | null; UsedBytes: number | null }[];
  Nics: { Name: string; Mac: string; Addresses: { Type: 'ipv4' | 'ipv6'; Address: string; Prefix: number }[] }[];
  ReadAt: string;
  Title: string;
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export function guestFactsToJson(facts: GuestFacts): GuestFactsJson {
  const { machine, agent, os, timezone } = facts;
  return {
    Machine: { Provider: machine.provider, Id: machine.id, Name: machine.name, State: machine.state },
    Agent: agent.answering
      ? { Answering: true, Version: agent.version ?? '' }
      : { Answering: false, Error: agent.error ?? 'guest agent not answering' },
    Os: os
      ? {
          Id: os.id ?? '',
          Name: os.name ?? '',
          PrettyName: os.prettyName ?? '',
          Version: os.version ?? '',
          VersionId: os.versionId ?? '',
          KernelRelease: os.kernelRelease ?? '',
          KernelVersion: os.kernelVersion ?? '',
          Machine: os.machine ?? '',
        }
      : null,
    Hostname: facts.hostname ?? '',
    Timezone: timezone ? { Name: timezone.name ?? '', OffsetSeconds: orNull(timezone.offsetSeconds) } : null,
    Users: (facts.users ?? []).map((u) => ({
      Name: u.name,
      Domain: u.domain ?? '',
      LoginTime: u.loginTime ? u.loginTime.toISOString() : null,
    })),
    Filesystems: (facts.filesystems ?? []).map((fs) => ({
      Mountpoint: fs.mountpoint,
      Device: fs.device,
      Type: fs.type,
      TotalBytes: orNull(fs.totalBytes),
      UsedBytes: orNull(fs.usedBytes),
    })),
    Nics: (facts.nics ?? []).map((nic) => ({
      Name: nic.name,
      Mac: nic.mac ?? '',
      Addresses: nic.addresses.map((a) => ({ Type: a.type, Address: a.address, Prefix: a.prefix })),
    })),
    ReadAt: facts.readAt.toISOString(),
    Title: `Guest facts of ${machine.name}`,
  };
}
