import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig, type Config } from '../../server/config/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const ADMIN_HASH = '$2a$10$uztHNVBxZ08LBmboJpAqguN4gZSymgmjaJ2xPHKwAqH.ukgaplb96';
export const TEST_RSA_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDXJjuFhloSumFjJRrrZfSinBE0q4e/o0nKzt4QfkD3VR56rrrrCtjHh+/wcZcIdm9I9QODxoFoSSvrPNOzLj0lfF0f64Ic7fUnC4hhRBEeyo/03KVpUQcHWHjeex+5OHQXa8s5Xy/dytZkhdvDYOCgEpMgC2tU6tk/mVuk84Q03QEnSYJQuIgj8VwvxC+22aGSpLzXtenpdXr+O8s7dkuhHQjl1w6WbiLADv0I06bFwW8iB6p7aHZCqJUYAUYa4XaCjXdVwoKAE/J23s17XCZzY10YmBIikRQQIjpvRIbHArzO0om4++2KMnY8m6xoMp2imyceD/0fIVlAqhLTEaBP test@vmango';
export const TEST_ED25519_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKC0ZeqF15XFB6aHzCJ/P+anVyQvTJQYtWDXykVUI0ZC me@laptop';
export const TEST_ECDSA_KEY =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLVy+inSCUwegDsPK1mxdYa9NA1HloqhhEmLwRQyjl8fjHfSkHQ8EVls6hHC+1YWsoE4Fmm5oymPp/7/T/6EIQA=';

/** A temporary directory holding the two template files, for configs that reference them. */
export function makeConfigDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-config-test-'));
  for (const name of ['vm.xml.in', 'volume.xml.in', 'test_ssl_key.pem', 'test_ssl_cert.pem']) {
    copyFileSync(join(FIXTURES, name), join(dir, name));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const VALID_CONFIG = `listen = "127.0.0.1:8000"
session_secret = "test-secret-0123456789abcdef0123456789"
static_cache = "24h"
debug = false
trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]

hypervisor "LOCAL1" {
    url = "qemu:///system"
    image_storage_pool = "vmango-images"
    root_storage_pool = "default"
    network = "vmango"
    vm_template = "vm.xml.in"
    volume_template = "volume.xml.in"
    ignore_vms = ["old"]
}

user "admin" {
    password = "${ADMIN_HASH}"
}

plan "small" {
    memory = 512
    cpus = 1
    disk_size = 5
}

ssh_key "test" {
    public = "${TEST_RSA_KEY}"
}
`;

/** Parses text expected to be invalid and returns its ConfigError. */
export function configErrorOf(text: string, dir: string): ConfigError {
  try {
    parseConfig(text, { filename: join(dir, 'vmango.conf'), baseDir: dir });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

export function parseIn(text: string, dir: string): Config {
  return parseConfig(text, { filename: join(dir, 'vmango.conf'), baseDir: dir });
}
