import type { ConfigDriveFormat } from '../core/config-drive-format.js';
import type { Template } from '../formats/gotemplate/index.js';
import type { Access, Permission } from '../core/permissions.js';
import type { EventName } from '../core/events.js';
import type { Quota } from '../core/quota.js';

export type { ConfigDriveFormat };

export interface PlanConfig {
  name: string;
  memoryMiB: number;
  cpus: number;
  diskSizeGiB: number;
  memoryBytes: number;
  diskSizeBytes: number;
}

export interface UserConfig {
  name: string;
  passwordHash: string;
  /** What the user's `grant` blocks allow; full access when there are none (vmango 0.6). */
  access: Access;
  /** The roles the grants name. */
  roles: string[];
  /** The user's own `quota` block (roles may add theirs). */
  quota: Quota;
}

/** An API token: only the SHA-256 of its secret is kept. */
export interface TokenConfig {
  /** The block's name, the token's public id (its first part). */
  id: string;
  user: string;
  /** 64 hex digits: SHA-256 of the secret. */
  hash: string;
  /** undefined: never expires. */
  expiresAt?: Date;
  description: string;
  /** What the token may do, within the user's own access (full: as the user). */
  access: Access;
}

/** A `webhook "NAME" { url, events, secret }`: the events named are POSTed to the url, signed. */
export interface WebhookConfig {
  name: string;
  url: string;
  events: EventName[];
  /** The HMAC-SHA256 key of the signatures (at least 32 bytes). */
  secret: string;
}

/** A custom `role "NAME" { permissions = […] }`. */
export interface RoleConfig {
  name: string;
  permissions: Permission[];
  /** Applies to each user holding the role. */
  quota: Quota;
}

export interface SshKeyConfig {
  name: string;
  public: string;
}

export interface HypervisorConfig {
  name: string;
  /** libvirt URI; '' means libvirt's default URI. */
  url: string;
  imageStoragePool: string;
  rootStoragePool: string;
  network: string;
  vmTemplatePath: string;
  volumeTemplatePath: string;
  vmTemplate: Template;
  volumeTemplate: Template;
  ignoreVms: string[];
  configDriveFormat: ConfigDriveFormat;
  callTimeoutMs: number;
  longCallTimeoutMs: number;
  keepaliveInterval: number;
  keepaliveCount: number;
}

export interface Config {
  /** Absolute path of the config file (or the filename given to parseConfig). */
  path: string;
  /** Directory that relative paths in the file resolve against. */
  dir: string;
  /** host '' means every interface. IPv6 hosts are given without brackets. */
  listen: { host: string; port: number };
  sessionSecret: string;
  staticCacheSeconds: number;
  debug: boolean;
  trustedProxies: string[];
  /**
   * Host names (and IP addresses) the panel answers to; anything else in a request's Host header
   * is refused with 421 (DNS rebinding). undefined: the listen address and localhost names.
   * ['*']: any host.
   */
  allowedHosts?: string[];
  /** A session ends after this long without a request. */
  sessionIdleTimeoutMs: number;
  /** A session ends this long after its login, however active. */
  sessionLifetimeMs: number;
  /** An open console with no bytes either way for this long is closed. */
  consoleIdleTimeoutMs: number;
  /**
   * Where the panel keeps what must outlive a restart and be seen by every replica (ended
   * sessions, the create journal): an absolute path, or undefined to keep it in memory only.
   */
  stateDir?: string;
  /** The audit log's file (absolute), appended to as JSON lines; undefined keeps the log in memory only. */
  auditLog?: string;
  tls?: { keyPath: string; certPath: string };
  hypervisors: HypervisorConfig[];
  plans: PlanConfig[];
  users: UserConfig[];
  /** Custom roles; the built-in ones (core/permissions.ts) are not listed. */
  roles: RoleConfig[];
  tokens: TokenConfig[];
  webhooks: WebhookConfig[];
  sshKeys: SshKeyConfig[];
}
