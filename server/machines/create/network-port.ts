/**
 * Waiting until a starting domain is connected to a virtual network.
 *
 * libvirt holds a network's lock for the whole of a live update (about a quarter of a second: it
 * rewrites dnsmasq's hosts file and reloads the network's firewall rules), and a starting domain
 * takes that lock once, early, to get its port. An update issued before the start has its port
 * makes the start wait for the whole update; issued after, the two run side by side.
 *
 * The signal is the live network XML's `connections` count (one per connected interface) rising
 * above what it was before the start: reading the network XML is never held up by a start on the
 * same connection, where listing the network's ports is. Another guest connecting meanwhile only
 * ends the wait early; correctness never depends on the wait, only speed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Network } from '../../libvirt/index.js';
import { isHypervisorLost } from '../../hypervisors/provider-errors.js';
import { attr, parseXmlRoot } from '../../network/xml-tree.js';

const POLL_INTERVAL_MS = 5;
/** Past this the caller goes on anyway. */
const GIVE_UP_AFTER_MS = 3_000;

/** The number of interfaces connected to the network now; undefined when it cannot be read. */
export async function connectedInterfaces(network: Network): Promise<number | undefined> {
  try {
    const root = parseXmlRoot(await network.getXmlDesc(), 'network XML', 'network');
    const count = Number(attr(root, 'connections') ?? '0');
    return Number.isSafeInteger(count) ? count : undefined;
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    return undefined;
  }
}

/**
 * Resolves once the network has more than `before` connected interfaces, or once `start` settles,
 * whichever comes first: true when the start got connected or succeeded, false when it failed.
 */
export async function untilConnectedOrStartSettles(network: Network, before: number | undefined, start: Promise<unknown>): Promise<boolean> {
  let settled: boolean | undefined;
  const outcome = start.then(() => true, () => false);
  void outcome.then((ok) => { settled = ok; });
  if (before === undefined) return outcome;
  const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;
  while (settled === undefined && Date.now() < giveUpAt) {
    const now = await connectedInterfaces(network);
    if (now === undefined) return outcome;
    if (now > before) return true;
    await sleep(POLL_INTERVAL_MS);
  }
  return settled ?? true;
}
