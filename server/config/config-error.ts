/** One thing wrong with a config file. */
export interface ConfigProblem {
  /** Key path such as `hypervisor.LOCAL1.vm_template`, or `FILE:LINE:COL` for a syntax error. */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
}

/** Every problem found in a config file, reported together. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(ConfigError.describe(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }

  private static describe(problems: ConfigProblem[]): string {
    if (problems.length === 0) return 'invalid config';
    return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  }
}
