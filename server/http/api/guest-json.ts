/** The API's JSON for guest facts (GET /api/machines/{provider}/{id}/guest/; new, 0.6 had none). */
import type { GuestFacts } from '../../core/guest.js';

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export function guestFactsToJson(facts: GuestFacts): Record<string, unknown> {
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
