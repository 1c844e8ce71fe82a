// Opens a connection (optionally listening for events, optionally forgetting it
// without close) and then does nothing: the process must exit on its own.
import { openConnection } from '../../../server/libvirt/index.js';

const uri = process.argv[2] ?? 'test:///default';
const mode = process.argv[3] ?? 'idle';
const conn = await openConnection(uri);
if (mode === 'events') conn.on('domainEvent', () => undefined);
if (mode === 'events') await conn.subscribeDomainEvents();
await conn.getHostname();
if (mode === 'forget') {
  // Drop every reference; the addon's finalizer must close it on its own thread.
  (globalThis as { gc?: () => void }).gc?.();
}
process.stdout.write(`ready ${mode}\n`);
