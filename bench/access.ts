// What authorization costs: the warm 1000-machine list (GET /api/machines/) for a user without
// grants (vmango 0.6's full access: no check at all), a viewer on every machine, an operator on a
// tag and a user scoped to their own machines — interleaved in one run, each as the median of
// many requests, the cost as the difference to the full user's. Target: ≤ 1 ms p50 added.
// Also: an API token's check alone (TokenVerifier.verify), and the same list through a token
// beside the full user's password (target ≤ 0.2 ms per token check: no bcrypt per request).
// Needs no hypervisor (a generated libvirt test-driver file):   npx tsx bench/access.ts
// BENCH_MACHINES sets the machine count (1000), BENCH_ROUNDS the requests per user (400).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPanel } from '../server/app/panel.js';
import { parseConfig } from '../server/config/index.js';
import { createLogger } from '../server/core/log.js';
import { hashPassword } from '../server/services/auth/password-hash.js';
import { formatToken, newTokenSecret, secretHash, TokenVerifier } from '../server/services/auth/api-tokens.js';
import { median, percentile, printTable, type ResultRow } from './helpers/stats.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const MACHINES = Number(process.env.BENCH_MACHINES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 400);
const PASSWORD = 'bench-access-password';

/** The demo's node (networks, pools) with MACHINES generated domains in place of its three. */
function hypervisorXml(): string {
  const demo = readFileSync(join(REPO, 'demo/hypervisor.xml'), 'utf8');
  const head = demo.slice(0, demo.indexOf('<domain type="test">'));
  const domains = Array.from({ length: MACHINES }, (_, i) => {
    const hex = i.toString(16).padStart(12, '0');
    const owner = i % 10 === 0 ? 'olga' : 'bench';
    const tags = i % 4 === 0 ? '<vmangots:tag>web</vmangots:tag>' : '<vmangots:tag>db</vmangots:tag>';
    return `<domain type="test"><name>bench-${i}</name><uuid>00000000-0000-4000-8000-${hex}</uuid>
<metadata><vmango:md xmlns:vmango="http://vmango.org/schema/md"><vmango:imageId>Debian-12_amd64_qcow2.img</vmango:imageId>
<vmango:os>Debian-12</vmango:os><vmango:creator>${owner}</vmango:creator><vmango:plan>small</vmango:plan><vmango:sshkeys></vmango:sshkeys>
<vmango:userdata>#cloud-config
</vmango:userdata></vmango:md><vmangots:machine xmlns:vmangots="urn:vmango-ts:machine:1">${tags}</vmangots:machine></metadata>
<memory unit="MiB">512</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os>
<devices><interface type="network"><mac address="52:54:00:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}"/><source network="vmango"/></interface></devices></domain>`;
  });
  return `${head}${domains.join('\n')}\n</node>\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'vmango-bench-access-'));
writeFileSync(join(dir, 'hypervisor.xml'), hypervisorXml());
const hash = hashPassword(PASSWORD);
const USERS = {
  full: '',
  viewer: '  grant {\n    role = "viewer"\n  }\n',
  tagged: '  grant {\n    role = "operator"\n    tag = "web"\n  }\n',
  owned: '  grant {\n    role = "admin"\n    owned = true\n  }\n',
} as const;
const NAMES: Record<keyof typeof USERS, string> = { full: 'root', viewer: 'vera', tagged: 'tim', owned: 'olga' };
const TOKEN_ID = 't-bench';
const secret = newTokenSecret();
const TOKEN = formatToken(TOKEN_ID, secret);
const config = parseConfig(
  `session_secret = "bench-access-secret-0123456789abcdefghij"
hypervisor "DEMO" {
  url = "test://${dir}/hypervisor.xml"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${REPO}demo/vm.xml.in"
  volume_template = "${REPO}templates/volume.xml.in"
}
${(Object.keys(USERS) as (keyof typeof USERS)[]).map((k) => `user "${NAMES[k]}" {\n  password = "${hash}"\n${USERS[k]}}\n`).join('')}
token "${TOKEN_ID}" {
  user = "root"
  hash = "sha256:${secretHash(secret)}"
  expires = "never"
}
`,
  { filename: 'bench-access.conf', baseDir: REPO },
);

const panel = await startPanel(config, { logger: createLogger('warn'), listen: { host: '127.0.0.1', port: 0 }, pages: false });
await panel.hypervisors.settled();
const port = Number(new URL(panel.base).port);

function list(user: string | { token: string }): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/machines/',
        headers:
          typeof user === 'string'
            ? { 'X-Vmango-User': user, 'X-Vmango-Pass': PASSWORD }
            : { Authorization: `Bearer ${user.token}` },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ ms: performance.now() - started, bytes, status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

try {
  const kinds = [...(Object.keys(USERS) as (keyof typeof USERS)[]), 'token'] as const;
  const who = (kind: (typeof kinds)[number]) => (kind === 'token' ? { token: TOKEN } : NAMES[kind]);
  const samples: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const sizes: Record<string, number> = {};
  // Warm up (the credential cache, the list cache, V8), then interleave the users round by round.
  for (const kind of kinds) for (let i = 0; i < 20; i++) sizes[kind] = (await list(who(kind))).bytes;
  for (let round = 0; round < ROUNDS; round++)
    for (const kind of kinds) {
      const answer = await list(who(kind));
      if (answer.status !== 200) throw new Error(`${kind}: status ${answer.status}`);
      samples[kind]!.push(answer.ms);
    }
  const base = median(samples.full!);
  const rows: ResultRow[] = kinds.map((kind) => {
    const p50 = median(samples[kind]!);
    const added = p50 - base;
    if (kind === 'token')
      return {
        name: `warm list of ${MACHINES}, full user by API token`,
        figure: `p50 ${p50.toFixed(2)} ms, ${added >= 0 ? '+' : ''}${added.toFixed(2)} ms vs the password (cached)`,
        target: '-',
      };
    return {
      name: `warm list of ${MACHINES}, ${kind}${kind === 'full' ? ' (no grant)' : ''}`,
      figure: `p50 ${p50.toFixed(2)} ms, p99 ${percentile(samples[kind]!, 99).toFixed(2)} ms${kind === 'full' ? '' : `, +${added.toFixed(2)} ms`}`,
      target: kind === 'full' ? '-' : '≤ +1 ms p50',
      ...(kind === 'full' ? {} : { pass: added <= 1 }),
      note: `${Math.round(sizes[kind]! / 1024)} KiB`,
    };
  });
  // The token check alone, as every token request makes it.
  const verifier = new TokenVerifier(config.tokens);
  const checks = 100_000;
  const started = performance.now();
  for (let i = 0; i < checks; i++) if (!verifier.verify(TOKEN).ok) throw new Error('token refused');
  const perCheckMs = (performance.now() - started) / checks;
  rows.push({
    name: 'API token check (hash + constant-time compare)',
    figure: `${(perCheckMs * 1000).toFixed(2)} µs`,
    target: '≤ 0.2 ms',
    pass: perCheckMs <= 0.2,
  });
  printTable(rows);
} finally {
  await panel.close();
}
