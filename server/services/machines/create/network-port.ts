/**
 * When to issue a live network update beside a domain start.
 *
 * libvirt holds a network's lock for the whole of a live DHCP-host update (about a quarter of a
 * second: it rewrites dnsmasq's hosts file and reloads the network's firewall rules), and a
 * starting domain takes that lock as soon as the start is under way (to resolve its interface)
 * and again at the end (for its port). An update issued before the start is under way makes the
 * whole start wait behind it; issued once the domain has left the shut-off state (libvirt marks
 * it paused/starting-up first thing), the two mostly run side by side. Correctness never depends
 * on this wait, only speed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Domain } from '../../../libvirt/index.js';
import { isHypervisorLost } from '../../../hypervisors/provider-errors.js';

const POLL_INTERVAL_MS = 2;
/** Past this the caller goes on anyway. */
const GIVE_UP_AFTER_MS = 3_000;

/**
 * Resolves once `domain` is no longer shut off, or once `start` settles, whichever comes first:
 * true when the start is under way or succeeded, false when it failed.
 */
export async function untilStartIsUnderWay(domain: Domain, start: Promise<unknown>): Promise<boolean> {
  let settled: boolean | undefined;
  const outcome = start.then(
    () => true,
    () => false,
  );
  void outcome.then((ok) => {
    settled = ok;
  });
  const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;
  while (settled === undefined && Date.now() < giveUpAt) {
    let state;
    try {
      ({ state } = await domain.getState());
    } catch (err) {
      if (isHypervisorLost(err)) throw err;
      return outcome;
    }
    if (state !== 'shutoff') return true;
    await sleep(POLL_INTERVAL_MS);
  }
  return settled ?? true;
}
