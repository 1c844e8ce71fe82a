// With libuv's pool (size 1) busy in pbkdf2, libvirt calls must still complete:
// they run on the connection's own thread, never on the pool.
import { pbkdf2 } from 'node:crypto';

import { openConnection } from '../../../server/libvirt/index.js';

const conn = await openConnection(process.argv[2] ?? 'test:///default');
let poolDone = false;
const poolStarted = Date.now();
pbkdf2('secret', 'salt', 3_000_000, 64, 'sha512', () => {
  poolDone = true;
  process.stdout.write(`pool ${Date.now() - poolStarted}\n`);
});
const started = Date.now();
for (let i = 0; i < 20; i++) await conn.getHostname();
process.stdout.write(`calls ${Date.now() - started} poolDoneFirst=${String(poolDone)}\n`);
await conn.close();
