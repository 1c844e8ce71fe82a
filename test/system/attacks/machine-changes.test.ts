/**
 * Attacks (issue 12) on machine changes, on the test-driver demo hypervisor:
 * - create, delete and power actions on one machine shared no lock: actions racing a delete hit
 *   a machine half gone and answered 500;
 * - a machine created with a name listed in ignore_vms would run but never be seen or deleted
 *   through the panel;
 * - delete removed NAME_disk even when another domain used the same file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../../server/core/service-error.js';
import { apiTestConfig, DB1_ID, startApiPanel, WEB1_ID } from '../../http/api/panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
const panels: Panel[] = [];
afterEach(async () => {
  await Promise.all(panels.splice(0).map((p) => p.close()));
});
async function panel(edit: (config: ReturnType<typeof apiTestConfig>) => void = () => undefined): Promise<Panel> {
  const config = apiTestConfig();
  edit(config);
  const started = await startApiPanel({ config });
  panels.push(started);
  return started;
}

function kindOf(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === 'fulfilled') return 'ok';
  return outcome.reason instanceof ServiceError ? outcome.reason.kind : `thrown ${String(outcome.reason)}`;
}

describe('changes to one machine', () => {
  it('actions racing a delete wait for it and then find the machine gone, never half gone', async () => {
    const { service } = await panel();
    const actions = ['stop', 'start', 'pause', 'resume', 'reboot', 'shutdown'] as const;
    const racing = Array.from({ length: 24 }, (_, i) => service.changeState('DEMO', WEB1_ID, actions[i % actions.length]!));
    const deleting = service.deleteMachine('DEMO', WEB1_ID);
    const after = Array.from({ length: 6 }, (_, i) => service.changeState('DEMO', WEB1_ID, actions[i]!));
    const outcomes = await Promise.allSettled([...racing, deleting, ...after]);
    const kinds = outcomes.map(kindOf);
    expect(kinds.filter((k) => !['ok', 'bad-request', 'not-found'].includes(k))).toEqual([]);
    expect(kinds[racing.length]).toBe('ok');
    // Everything queued behind the delete finds the machine gone.
    expect(kinds.slice(racing.length + 1)).toEqual(Array(6).fill('not-found'));
  });
});

describe('create', () => {
  it('refuses a name the provider ignores, naming the setting', async () => {
    const { service } = await panel((c) => (c.hypervisors[0]!.ignoreVms = ['hidden-one']));
    const err = await service
      .createMachine({
        provider: 'DEMO',
        name: 'hidden-one',
        plan: 'small',
        image: 'Debian-12_amd64_qcow2.img',
        sshKeys: [],
        userdata: '',
        creator: 'admin',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ kind: 'bad-request', fields: ['Name'] });
    expect((err as Error).message).toMatch(/ignore_vms/);
  });
});

describe('delete', () => {
  it('refuses to delete a disk another domain uses, naming that domain, and changes nothing', async () => {
    const { service, hypervisors } = await panel();
    const conn = hypervisors.get('DEMO');
    const web = await service.getMachine('DEMO', WEB1_ID);
    const disk = web.rootDisk!.path;
    await conn.defineDomain(
      `<domain type='test'><name>borrower</name><memory>65536</memory><os><type>hvm</type></os><devices><disk type='file' device='disk'><source file='${disk}'/><target dev='vda'/></disk></devices></domain>`,
    );
    const err = await service.deleteMachine('DEMO', WEB1_ID).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'conflict' });
    expect((err as Error).message).toMatch(/web-1_disk .*borrower/);
    expect((await service.getMachine('DEMO', WEB1_ID)).state).toBe('running');
    expect((await conn.lookupStoragePoolByName('default').then((p) => p.listVolumeNames())).map((v) => v.name)).toContain(
      'web-1_disk',
    );
    // A machine whose disks nobody else uses is deleted as before.
    await service.deleteMachine('DEMO', DB1_ID);
  });
});
