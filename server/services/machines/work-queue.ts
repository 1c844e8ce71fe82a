/**
 * At most `concurrency` jobs at once per key (a hypervisor), the rest waiting in arrival order, and
 * at most `maxWaiting` of those: beyond, a job is refused at once. A burst of creates then reaches
 * libvirt a few at a time (each start and network update there takes its locks in turn) instead
 * of all at once, where the last ones would wait past their deadlines.
 */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

interface Lane {
  running: number;
  waiting: (() => void)[];
}

export class WorkQueue {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(key, lane);
    }
    if (lane.running >= this.concurrency) {
      if (lane.waiting.length >= this.maxWaiting) throw new QueueFullError(`${lane.waiting.length} jobs are waiting already`);
      await new Promise<void>((resolve) => lane.waiting.push(resolve));
    }
    lane.running++;
    try {
      return await work();
    } finally {
      lane.running--;
      const next = lane.waiting.shift();
      if (next) next();
      else if (lane.running === 0) this.lanes.delete(key);
    }
  }
}
