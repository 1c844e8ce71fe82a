/**
 * bcrypt checks off the event loop: a few worker threads run bcryptjs's synchronous compare, so a
 * flood of logins costs CPU on those threads, never latency for other requests. The queue is
 * bounded: past it a check is refused at once (the caller answers "busy"), so a flood cannot pile
 * up work or memory either.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export class PasswordChecksBusyError extends Error {
  override readonly name = 'PasswordChecksBusyError';
}

export interface BcryptPoolOptions {
  /** Worker threads (default 1: on a small host one core keeps serving requests). */
  threads?: number;
  /** Checks waiting for a thread beyond those running; more are refused (default 64). */
  maxQueued?: number;
}

interface Job {
  password: string;
  hash: string;
  resolve: (ok: boolean) => void;
  reject: (err: Error) => void;
}

// CommonJS, run with `eval: true`: no file of its own to find from src/ and dist/ alike.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

interface Thread {
  worker: Worker;
  busy?: { id: number; job: Job };
}

export class BcryptPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private readonly size: number;
  private readonly maxQueued: number;
  private nextId = 1;
  private closed = false;

  constructor(options: BcryptPoolOptions = {}) {
    this.size = Math.max(1, options.threads ?? 1);
    this.maxQueued = Math.max(0, options.maxQueued ?? 64);
  }

  /** Checks `password` against a bcrypt `hash`; rejects with PasswordChecksBusyError when the queue is full. */
  compare(password: string, hash: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('the password checker is closed'));
    return new Promise<boolean>((resolve, reject) => {
      const job: Job = { password, hash, resolve, reject };
      const idle = this.idleThread();
      if (idle) {
        this.run(idle, job);
        return;
      }
      if (this.queue.length >= this.maxQueued) {
        reject(new PasswordChecksBusyError(`${this.queue.length} password checks are waiting already`));
        return;
      }
      this.queue.push(job);
    });
  }

  /** Checks running and waiting. */
  get pending(): number {
    return this.queue.length + this.threads.filter((t) => t.busy).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the password checker is closed'));
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private idleThread(): Thread | undefined {
    const idle = this.threads.find((t) => !t.busy);
    if (idle) return idle;
    if (this.threads.length < this.size) return this.spawn();
    return undefined;
  }

  private spawn(): Thread {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcryptjs: createRequire(import.meta.url).resolve('bcryptjs') },
    });
    // An idle pool must not keep the process alive.
    worker.unref();
    const thread: Thread = { worker };
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      if (thread.busy?.id !== id) return;
      const { job } = thread.busy;
      thread.busy = undefined;
      job.resolve(ok);
      this.next(thread);
    });
    worker.on('error', (err) => this.fail(thread, err));
    worker.on('exit', (code) => this.fail(thread, new Error(`password check thread exited with code ${code}`)));
    this.threads.push(thread);
    return thread;
  }

  private run(thread: Thread, job: Job): void {
    const id = this.nextId++;
    thread.busy = { id, job };
    thread.worker.ref();
    thread.worker.postMessage({ id, password: job.password, hash: job.hash });
  }

  private next(thread: Thread): void {
    const job = this.queue.shift();
    if (job) this.run(thread, job);
    else thread.worker.unref();
  }

  private fail(thread: Thread, err: Error): void {
    const index = this.threads.indexOf(thread);
    if (index < 0) return;
    this.threads.splice(index, 1);
    thread.busy?.job.reject(err);
    thread.busy = undefined;
    // The jobs waiting go to a new thread.
    const job = this.queue.shift();
    if (job && !this.closed) this.run(this.spawn(), job);
  }
}
