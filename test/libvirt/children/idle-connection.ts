// Opens a connection (optionally listening for events, optionally forgetting it
// without close) and then does nothing: the process must exit on its own.
import { openConnection } from '../../../server/libvirt/index.js';

const uri = process.argv[2] ?? 'test:///default';
const mode = process.argv[3] ?? 'idle';

async function openAndUse(): Promise<void> {
  const conn = await openConnection(uri);
  if (mode === 'events') {
    conn.on('domainEvent', () => undefined);
    await conn.subscribeDomainEvents();
  }
  await conn.getHostname();
  if (mode === 'forget') {
    // Nothing refers to the connection once this function returns: it must be
    // collectable, and the addon's finalizer then closes it on its own thread.
    const registry = new FinalizationRegistry<string>(() => {
      collected = true;
      process.stdout.write('collected\n');
    });
    registry.register(conn, 'conn');
    forgetRegistry = registry;
  } else {
    keep = conn;
  }
}

let keep: unknown;
let collected = false;
let forgetRegistry: unknown;
await openAndUse();
if (mode === 'forget') {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  // Collection is not promised on any particular cycle (a pending native callback can hold
  // the object for a moment on a loaded machine): keep collecting for up to 5 s.
  for (let i = 0; i < 250 && !collected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
}
process.stdout.write(`ready ${mode} ${keep === undefined ? '' : 'kept'} ${forgetRegistry === undefined ? '' : 'watched'}\n`);
