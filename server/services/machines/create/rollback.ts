/** The undo steps of a half-done operation, run newest first; an undo that fails is logged, and the rest still run. */
import type { Logger } from '../../../core/log.js';

interface Undo {
  what: string;
  run: () => Promise<unknown>;
}

export class Rollback {
  private readonly undos: Undo[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly context: Record<string, unknown>,
  ) {}

  private made = false;

  add(what: string, run: () => Promise<unknown>): void {
    this.undos.push({ what, run });
    this.made = true;
  }

  /** Whether any step registered something to undo (the operation changed anything). */
  get madeAnything(): boolean {
    return this.made;
  }

  /** Runs every undo, newest first. Resolves with what could not be undone. */
  async unwind(): Promise<string[]> {
    const failed: string[] = [];
    while (this.undos.length > 0) {
      const undo = this.undos.pop()!;
      try {
        await undo.run();
        this.logger.info({ ...this.context, undo: undo.what }, 'rolled back');
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        failed.push(`${undo.what}: ${reason}`);
        this.logger.error({ ...this.context, undo: undo.what, error: reason }, 'rollback step failed');
      }
    }
    return failed;
  }
}
