export { ConfigError, type ConfigProblem } from './config-error.js';
export { parseDuration } from './duration.js';
export { releaseHclParser } from './hcl-sandbox.js';
export { loadConfig } from './load-config.js';
export { parseConfig, type ParseConfigOptions } from './parse-config.js';
export type {
  Config,
  ConfigDriveFormat,
  HypervisorConfig,
  PlanConfig,
  RoleConfig,
  SshKeyConfig,
  TokenConfig,
  UserConfig,
  WebhookConfig,
} from './types.js';
