import { ConfigError, type ConfigProblem } from './config-error.js';

/** Collects problems so that a config file's mistakes are all reported at once. */
export class Problems {
  readonly list: ConfigProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(): void {
    if (!this.empty) throw new ConfigError(this.list);
  }
}
