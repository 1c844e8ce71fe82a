// The wait that lets a starting domain get its network port before the address reservation locks
// the network (server/machines/create/network-port.ts). The network here is a stand-in object with
// the one method the wait reads; the real hypervisor path is covered by the create tests on the
// harness (test/services/machine-service.harness.test.ts).
import { describe, expect, it } from 'vitest';
import type { Network } from '../../server/libvirt/index.js';
import { LibvirtError, ErrorCode } from '../../server/libvirt/index.js';
import { connectedInterfaces, untilConnectedOrStartSettles } from '../../server/machines/create/network-port.js';

function networkWith(counts: (number | Error)[]): Network & { reads: number } {
  const state = { reads: 0 };
  const network = {
    get reads() { return state.reads; },
    async getXmlDesc(): Promise<string> {
      const value = counts[Math.min(state.reads, counts.length - 1)]!;
      state.reads++;
      if (value instanceof Error) throw value;
      return value === 0 ? "<network><name>n</name></network>" : `<network connections='${value}'><name>n</name></network>`;
    },
  };
  return network as unknown as Network & { reads: number };
}

const never = new Promise<void>(() => undefined);

describe('connectedInterfaces', () => {
  it('reads the connections attribute, 0 when libvirt leaves it out', async () => {
    expect(await connectedInterfaces(networkWith([3]))).toBe(3);
    expect(await connectedInterfaces(networkWith([0]))).toBe(0);
  });

  it('is undefined when the XML cannot be read, but a lost hypervisor is thrown', async () => {
    expect(await connectedInterfaces(networkWith([new LibvirtError(ErrorCode.OPERATION_FAILED, 'no')]))).toBeUndefined();
    await expect(connectedInterfaces(networkWith([new LibvirtError(ErrorCode.CONNECTION_LOST, 'gone')]))).rejects.toThrow('gone');
  });
});

describe('untilConnectedOrStartSettles', () => {
  it('resolves true as soon as one more interface is connected, while the start still runs', async () => {
    const network = networkWith([2, 2, 3]);
    expect(await untilConnectedOrStartSettles(network, 2, never)).toBe(true);
    expect(network.reads).toBe(3);
  });

  it('resolves false when the start fails before any interface connects', async () => {
    const start = new Promise((_, reject) => setTimeout(() => reject(new Error('start failed')), 30));
    expect(await untilConnectedOrStartSettles(networkWith([1]), 1, start)).toBe(false);
  });

  it('resolves true when the start succeeds without the count moving (another guest left meanwhile)', async () => {
    const start = new Promise((resolve) => setTimeout(resolve, 30));
    expect(await untilConnectedOrStartSettles(networkWith([1]), 1, start)).toBe(true);
  });

  it('waits for the start when the count was unknown before or cannot be read now', async () => {
    expect(await untilConnectedOrStartSettles(networkWith([5]), undefined, Promise.resolve())).toBe(true);
    expect(await untilConnectedOrStartSettles(networkWith([5]), undefined, Promise.reject(new Error('x')))).toBe(false);
    const unreadable = networkWith([new LibvirtError(ErrorCode.OPERATION_FAILED, 'no')]);
    expect(await untilConnectedOrStartSettles(unreadable, 1, Promise.reject(new Error('x')))).toBe(false);
  });
});
