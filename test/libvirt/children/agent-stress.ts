// Child process of the guest agent stress test (test/system/guest/agent.harness.test.ts): for
// SECONDS, WORKERS loops of guest agent calls on the real guest AGENT_GUEST (ping, guest facts,
// agent addresses, guest-info, each answer checked against what ssh reported), loops of agent calls
// on ECHO_GUESTS guests whose agent channel nothing answers, and bulk listings on the main
// connection, all over one Connection. The parent stops the guest's agent for a while in the
// middle (kill -STOP). Prints one JSON line; a crash (memory corruption: libvirt before 10.3 when
// two threads call over one connection at once) kills the process instead.
import { DomainStatsTypes, ErrorCode, LibvirtError, openConnection, type Domain } from '../../../server/libvirt/index.js';
import { harnessEnv } from '../../helpers/harness.js';
import { startEchoGuest } from '../echo-guest.js';

const env = harnessEnv()!;
const SECONDS = Number(process.env.STRESS_SECONDS ?? 45);
const WORKERS = Number(process.env.STRESS_WORKERS ?? 8);
const ECHO_GUESTS = Number(process.env.ECHO_GUESTS ?? 3);
const GUEST = process.env.AGENT_GUEST!;
const HOSTNAME = process.env.AGENT_HOSTNAME!;
const MAC = process.env.AGENT_MAC!.toLowerCase();
const KERNEL = process.env.AGENT_KERNEL!;
const AGENT_TIMEOUT_MS = 8_000;
/** What an agent that does not answer (or answers out of step after it was stopped) may cause. */
const AGENT_FAILURES = new Set<number>([ErrorCode.AGENT_UNRESPONSIVE, ErrorCode.AGENT_UNSYNCED, ErrorCode.TIMEOUT]);

const conn = await openConnection(env.uri, { callTimeoutMs: 60_000 });
const echoes = await Promise.all(
  Array.from({ length: ECHO_GUESTS }, (_, i) => startEchoGuest(conn, env, `ast${process.pid}-${i}`, { agentChannel: true })),
);
const guest = await conn.lookupDomainByName(GUEST);

const result = {
  right: 0,
  wrong: [] as string[],
  agentFailures: 0,
  unexpected: [] as string[],
  lastRightAt: 0,
  firstFailureAt: 0,
  maxAgentCallMs: 0,
  echoFailures: 0,
  echoUnexpected: [] as string[],
  listings: 0,
  maxListingMs: 0,
  listingFailures: [] as string[],
  /** Guest infos without interfaces: libvirt leaves out a part the agent did not give in time (right after the agent's pause). */
  partial: 0,
  startedAt: Date.now(),
};

type Check = () => Promise<string | undefined>;
const checks: Check[] = [
  async () => {
    await guest.agent().ping({ timeoutMs: AGENT_TIMEOUT_MS });
    return undefined;
  },
  async () => {
    const info = await guest.agent().guestInfo({ timeoutMs: AGENT_TIMEOUT_MS });
    if (info.hostname !== HOSTNAME) return `hostname ${String(info.hostname)}`;
    if (info.os?.kernelRelease !== KERNEL) return `kernel ${String(info.os?.kernelRelease)}`;
    if (info.interfaces === undefined || info.interfaces.length === 0) {
      result.partial++;
      return undefined;
    }
    // Interfaces given, and not this guest's: that would be a wrong answer.
    if (!info.interfaces.some((nic) => nic.hwaddr?.toLowerCase() === MAC)) return `no nic ${MAC} among ${info.interfaces.length}`;
    return undefined;
  },
  async () => {
    const nics = await guest.agent().interfaceAddresses({ timeoutMs: AGENT_TIMEOUT_MS });
    return nics.some((nic) => nic.hwaddr?.toLowerCase() === MAC) ? undefined : `agent addresses lack ${MAC}`;
  },
  async () => {
    const about = await guest.agent().info({ timeoutMs: AGENT_TIMEOUT_MS });
    return about.commands.includes('guest-ping') ? undefined : `guest-info: ${JSON.stringify(about).slice(0, 200)}`;
  },
];

function codeOf(err: unknown): number | undefined {
  return err instanceof LibvirtError ? err.code : undefined;
}

async function agentWorker(index: number, until: number): Promise<void> {
  for (let round = index; Date.now() < until; round++) {
    const started = performance.now();
    try {
      const problem = await checks[round % checks.length]!();
      if (problem === undefined) {
        result.right++;
        result.lastRightAt = Date.now();
      } else result.wrong.push(problem);
    } catch (err) {
      if (AGENT_FAILURES.has(codeOf(err) ?? 0)) {
        result.agentFailures++;
        if (result.firstFailureAt === 0) result.firstFailureAt = Date.now();
      } else result.unexpected.push(String(err).slice(0, 300));
      // A missed answer costs its deadline; pause a moment so the log is not all failures.
      await new Promise((r) => setTimeout(r, 100));
    }
    result.maxAgentCallMs = Math.max(result.maxAgentCallMs, performance.now() - started);
  }
}

async function echoWorker(domain: Domain, until: number): Promise<void> {
  while (Date.now() < until) {
    try {
      await domain.agent().ping({ timeoutMs: AGENT_TIMEOUT_MS });
      result.echoUnexpected.push(`${domain.name}: an agent answered where none runs`);
    } catch (err) {
      if (codeOf(err) === ErrorCode.AGENT_UNRESPONSIVE) result.echoFailures++;
      else result.echoUnexpected.push(String(err).slice(0, 300));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function listingWorker(until: number): Promise<void> {
  while (Date.now() < until) {
    const started = performance.now();
    try {
      const [domains, stats] = await Promise.all([
        conn.listAllDomains({ withXml: true }),
        conn.getAllDomainStats({ stats: DomainStatsTypes.STATE | DomainStatsTypes.CPU_TOTAL }),
      ]);
      if (!domains.some((d) => d.name === GUEST) || !stats.some((s) => s.name === GUEST)) {
        result.listingFailures.push(`${GUEST} missing from a listing`);
      }
      result.listings++;
    } catch (err) {
      result.listingFailures.push(String(err).slice(0, 300));
    }
    result.maxListingMs = Math.max(result.maxListingMs, performance.now() - started);
  }
}

const until = Date.now() + SECONDS * 1000;
process.stderr.write(`agent stress: ${WORKERS} workers on ${GUEST}, ${ECHO_GUESTS} silent guests, ${SECONDS} s\n`);
try {
  await Promise.all([
    ...Array.from({ length: WORKERS }, (_, i) => agentWorker(i, until)),
    ...echoes.map((e) => echoWorker(e.domain, until)),
    listingWorker(until),
    listingWorker(until),
  ]);
} finally {
  await Promise.all(echoes.map((e) => e.cleanup()));
  await conn.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
