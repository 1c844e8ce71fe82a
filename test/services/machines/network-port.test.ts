// The wait that issues the address reservation once a domain start is under way
// (server/machines/create/network-port.ts). The domain here is a stand-in object with the one
// method the wait reads; the real hypervisor path is covered by the create tests on the harness
// (test/services/machines/machine-service.harness.test.ts, test/http/api/routes.harness.test.ts).
import { describe, expect, it } from 'vitest';
import { ErrorCode, LibvirtError, type Domain } from '../../../server/libvirt/index.js';
import { untilStartIsUnderWay } from '../../../server/services/machines/create/network-port.js';

function domainWith(states: (string | Error)[]): Domain & { reads: number } {
  const state = { reads: 0 };
  const domain = {
    get reads() {
      return state.reads;
    },
    async getState(): Promise<{ state: string; reason: number }> {
      const value = states[Math.min(state.reads, states.length - 1)]!;
      state.reads++;
      if (value instanceof Error) throw value;
      return { state: value, reason: 0 };
    },
  };
  return domain as unknown as Domain & { reads: number };
}

const never = new Promise<void>(() => undefined);

describe('untilStartIsUnderWay', () => {
  it('resolves true as soon as the domain has left the shut-off state, while the start still runs', async () => {
    const domain = domainWith(['shutoff', 'shutoff', 'paused']);
    expect(await untilStartIsUnderWay(domain, never)).toBe(true);
    expect(domain.reads).toBe(3);
  });

  it('resolves false when the start fails while the domain is still shut off', async () => {
    const start = new Promise((_, reject) => setTimeout(() => reject(new Error('start failed')), 30));
    expect(await untilStartIsUnderWay(domainWith(['shutoff']), start)).toBe(false);
  });

  it('resolves true when the start succeeds before any poll saw it', async () => {
    const start = new Promise((resolve) => setTimeout(resolve, 30));
    expect(await untilStartIsUnderWay(domainWith(['shutoff']), start)).toBe(true);
  });

  it('waits for the start when the state cannot be read, and throws when the hypervisor is lost', async () => {
    const unreadable = domainWith([new LibvirtError(ErrorCode.OPERATION_FAILED, 'no')]);
    expect(await untilStartIsUnderWay(unreadable, Promise.reject(new Error('x')))).toBe(false);
    const lost = domainWith([new LibvirtError(ErrorCode.CONNECTION_LOST, 'gone')]);
    await expect(untilStartIsUnderWay(lost, never)).rejects.toThrow('gone');
  });
});
