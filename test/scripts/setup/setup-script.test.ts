import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/setup.sh', import.meta.url));
// As user nobody, who must also be able to read the script (a checkout under a 0700 directory,
// such as one made by mktemp -d, is out of nobody's reach).
const canSwitchUser = process.getuid?.() === 0 && spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-r', script]).status === 0;

describe.skipIf(!canSwitchUser)('scripts/setup.sh as a user who cannot install packages', () => {
  it('prints the exact apt-get line for what is missing and exits non-zero', () => {
    const run = spawnSync(
      'runuser',
      ['-u', 'nobody', '--', 'env', 'VMANGO_SETUP_EXTRA_PACKAGES=vmango-no-such-package', 'bash', script, 'demo'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('setup: missing Debian packages. Install them as root, then run this again:');
    expect(run.stderr).toContain('apt-get update && apt-get install -y --no-install-recommends vmango-no-such-package');
  });

  it('rejects an unknown profile', () => {
    const run = spawnSync('bash', [script, 'everything'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: scripts/setup.sh [demo|test]');
  });
});
if (!canSwitchUser)
  console.warn(`skipping the setup.sh non-root test: needs root, runuser, and ${script} readable by user nobody`);
