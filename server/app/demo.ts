import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../config/index.js';
import { hashPassword } from '../services/auth/password-hash.js';

const DEMO_DIR = fileURLToPath(new URL('../../demo/', import.meta.url)).replace(/\/$/, '');
const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url)).replace(/\/$/, '');

export const DEMO_USER = 'demo';
const DEMO_SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 demo@vmango';

export interface DemoSetup {
  config: Config;
  password: string;
}

/**
 * The configuration used when no config file exists: one hypervisor on libvirt's
 * in-process test driver (demo/hypervisor.xml), three plans, a key, and a user
 * whose fresh random password is shown at start-up.
 */
export function demoConfig(listen = '127.0.0.1:8000'): DemoSetup {
  const password = randomBytes(9).toString('base64url');
  const text = `
listen = "${listen}"
session_secret = "${randomBytes(32).toString('base64')}"
static_cache = "1h"

hypervisor "DEMO" {
  url = "test://${DEMO_DIR}/hypervisor.xml"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${DEMO_DIR}/vm.xml.in"
  volume_template = "${TEMPLATES_DIR}/volume.xml.in"
}

plan "small" {
  memory = 512
  cpus = 1
  disk_size = 5
}

plan "medium" {
  memory = 1024
  cpus = 2
  disk_size = 10
}

plan "large" {
  memory = 2048
  cpus = 4
  disk_size = 20
}

user "${DEMO_USER}" {
  password = "${hashPassword(password)}"
}

ssh_key "demo" {
  public = "${DEMO_SSH_KEY}"
}
`;
  return { config: parseConfig(text, { filename: '(demo configuration)', baseDir: DEMO_DIR }), password };
}
