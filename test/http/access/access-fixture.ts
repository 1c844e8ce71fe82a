/**
 * A config with roles: two test-driver hypervisors (DEMO and EAST, each its own copy of the demo
 * fixture) and users of every kind of grant, all with one password.
 */
import { parseConfig, type Config } from '../../../server/config/index.js';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { REPO } from '../api/panel-fixture.js';

export const PASSWORD = 'correct horse';
const hash = hashPassword(PASSWORD);

export const USERS = {
  /** No grant: full access, as in vmango 0.6. */
  full: 'root',
  admin: 'ada',
  operator: 'otto',
  viewer: 'vera',
  /** Operator on EAST only. */
  east: 'eve',
  /** Operator on machines tagged "web". */
  tagged: 'tim',
  /** Viewer everywhere, and a reader of userdata on the machines they own (the demo's creator). */
  owner: 'demo',
} as const;

function hypervisor(name: string): string {
  return `
hypervisor "${name}" {
  url = "test://${REPO}/demo/hypervisor.xml"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${REPO}/demo/vm.xml.in"
  volume_template = "${REPO}/templates/volume.xml.in"
}
`;
}

export function accessConfigText(extra = ''): string {
  return `
session_secret = "access-test-secret-0123456789abcdef"
${hypervisor('DEMO')}
${hypervisor('EAST')}
plan "small" {
  memory = 512
  cpus = 1
  disk_size = 5
}
ssh_key "test" {
  public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 test@vmango"
}
role "reader" {
  permissions = ["list", "view", "userdata-read"]
}
user "${USERS.full}" {
  password = "${hash}"
}
user "${USERS.admin}" {
  password = "${hash}"
  grant {
    role = "admin"
  }
}
user "${USERS.operator}" {
  password = "${hash}"
  grant {
    role = "operator"
  }
}
user "${USERS.viewer}" {
  password = "${hash}"
  grant {
    role = "viewer"
  }
}
user "${USERS.east}" {
  password = "${hash}"
  grant {
    role = "operator"
    hypervisors = ["EAST"]
  }
}
user "${USERS.tagged}" {
  password = "${hash}"
  grant {
    role = "operator"
    tag = "web"
  }
}
user "${USERS.owner}" {
  password = "${hash}"
  grant {
    role = "viewer"
  }
  grant {
    role = "reader"
    owned = true
  }
}
${extra}
`;
}

export function accessTestConfig(extra = ''): Config {
  return parseConfig(accessConfigText(extra), { filename: 'access-test.conf', baseDir: REPO });
}

export function as(user: string): Record<string, string> {
  return { 'X-Vmango-User': user, 'X-Vmango-Pass': PASSWORD };
}
