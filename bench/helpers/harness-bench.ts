// What the benches on the harness hypervisor share: the harness check, the result rows, panels
// spawned on a generated config, and one cleanup on every exit path (normal end, failure,
// Ctrl-C) that stops the panels and removes everything named with the run's prefix.
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';

import { openConnection, type Connection } from '../../server/libvirt/index.js';
import { harnessEnv, insideHarnessNamespace, type HarnessEnv } from '../../test/helpers/harness.js';
import { removeByPrefix, type PopulationTarget } from './population.js';
import { freePort, spawnPanel, writeBenchConfig, type BenchConfigOptions, type PanelChild } from './panel-process.js';
import { ms, printRow, printTable, type ResultRow } from './stats.js';

export const BENCH_PROVIDER = 'BENCH';

/** The harness, or an exit naming the command to run instead. */
export function requireHarnessBench(script: string): HarnessEnv {
  const env = harnessEnv();
  if (!env) {
    console.error('harness not up: scripts/harness/harness.sh up, then run via scripts/harness/harness.sh exec');
    process.exit(2);
  }
  if (!insideHarnessNamespace()) {
    console.error(`not inside the harness namespace: run via scripts/harness/harness.sh exec npx tsx ${script}`);
    process.exit(2);
  }
  return env;
}

export const benchNumber = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

export class HarnessBench {
  readonly prefix = `bench-${process.pid}-`;
  readonly user = { user: 'bench', password: `bench-${process.pid}` };
  readonly auth = { 'X-Vmango-User': this.user.user, 'X-Vmango-Pass': this.user.password };
  readonly rows: ResultRow[] = [];
  exitCode = 0;
  conn: Connection | undefined;
  target: PopulationTarget | undefined;
  private readonly panels = new Set<PanelChild>();
  private readonly tempDirs: string[] = [];
  private cleaning: Promise<void> | undefined;

  constructor(
    readonly env: HarnessEnv,
    private readonly plan: BenchConfigOptions['plan'],
  ) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: cleaning up…`);
        this.exitCode = 130;
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** Opens the bench's own connection; machines are filled from `imageId`. */
  async connect(imageId: string, callTimeoutMs = 60_000): Promise<Connection> {
    this.conn = await openConnection(this.env.uri, { callTimeoutMs });
    const { rootPool, network, domainType } = this.env;
    this.target = { conn: this.conn, rootPool, network, domainType, imageId };
    return this.conn;
  }

  report(row: ResultRow): void {
    this.rows.push(row);
    printRow(row);
  }

  /** A panel (node bin/vmango.js) on a fresh config for the harness; `linked` picks the overlay volume template. */
  async startPanel(linked: boolean): Promise<PanelChild> {
    const port = await freePort();
    const { dir, configPath } = writeBenchConfig(
      {
        provider: BENCH_PROVIDER,
        uri: this.env.uri,
        network: this.env.network,
        imagePool: this.env.imagePool,
        rootPool: this.env.rootPool,
        domainType: this.env.domainType,
        linked,
        ...this.user,
        plan: this.plan,
      },
      port,
    );
    this.tempDirs.push(dir);
    const panel = spawnPanel(configPath, dir, port);
    this.panels.add(panel);
    console.log(`panel pid ${panel.pid} on ${panel.base}: ${panel.how}; log ${panel.logFile}`);
    return panel;
  }

  async stopPanel(panel: PanelChild): Promise<void> {
    await panel.stop();
    this.panels.delete(panel);
  }

  /** One GET of the machine list: its time, the bench provider's machine count and the body size. */
  async timedList(base: string, query = ''): Promise<{ ms: number; count: number; bytes: number }> {
    const started = performance.now();
    const res = await fetch(`${base}/api/machines/${query}`, { headers: this.auth });
    const text = await res.text();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`GET /api/machines/${query} answered ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as { Machines: Record<string, unknown[]> };
    return { ms: elapsed, count: body.Machines[BENCH_PROVIDER]?.length ?? 0, bytes: text.length };
  }

  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      for (const panel of this.panels) await panel.stop().catch(() => undefined);
      if (this.target) {
        const started = performance.now();
        const removed = await removeByPrefix(this.target, this.prefix);
        console.log(
          `cleanup: removed ${removed.domains} domains, ${removed.volumes} volumes, ${removed.hosts} DHCP host entries ` +
            `named ${this.prefix}* in ${ms(performance.now() - started)}${removed.errors.length ? `; errors: ${removed.errors.join('; ')}` : ''}`,
        );
      }
      await this.conn?.close().catch(() => undefined);
      if (this.exitCode === 0) for (const dir of this.tempDirs) rmSync(dir, { recursive: true, force: true });
    })();
    return this.cleaning;
  }

  /** Runs the phases; whatever happens, cleans up, prints the table (after `heading`) and exits. */
  async run(phases: () => Promise<void>, heading = ''): Promise<never> {
    try {
      await phases();
    } catch (err) {
      this.exitCode = 1;
      console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
      for (const panel of this.panels) console.error(`panel log: ${panel.logFile}`);
    } finally {
      await this.cleanup();
    }
    console.log(`\n${heading}`);
    printTable(this.rows);
    process.exit(this.exitCode);
  }
}
