// The pure parts of the create flow and the action rules.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../helpers/loggers.js';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';
import { configDriveDevice } from '../../../server/services/machines/create/config-drive-device.js';
import { KeyedMutex } from '../../../server/services/machines/keyed-lock.js';
import { Rollback } from '../../../server/services/machines/create/rollback.js';
import { readVolumePlan, VolumeTemplateError } from '../../../server/services/machines/create/volume-plan.js';
import { allowedActions } from '../../../server/core/actions.js';
import { assertActionAllowed } from '../../../server/services/machines/state-service.js';
import { ServiceError } from '../../../server/core/service-error.js';

const silent = silentLogger();

describe('readVolumePlan', () => {
  it('reads name, format and whether the volume is an overlay', () => {
    expect(readVolumePlan("<volume><name>m_disk</name><target><format type='qcow2'/></target></volume>", 'm')).toEqual({
      name: 'm_disk',
      format: 'qcow2',
      linked: false,
    });
    expect(readVolumePlan('<volume><name>m_disk</name><backingStore><path>/i</path></backingStore></volume>', 'm').linked).toBe(
      true,
    );
  });

  it('refuses a volume not named NAME_disk, and malformed XML', () => {
    expect(() => readVolumePlan('<volume><name>other</name></volume>', 'm')).toThrow(/must be "m_disk"/);
    expect(() => readVolumePlan('<volume><name>m_disk</name>', 'm')).toThrow(VolumeTemplateError);
  });
});

describe('configDriveDevice', () => {
  const domain = (devices: string) =>
    parseDomainXml(`<domain><name>m</name><uuid>u</uuid><devices>${devices}</devices></domain>`);

  it("fills the template's empty cdrom", () => {
    const device = configDriveDevice(
      domain("<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>"),
      '/p/m_config.iso',
    );
    expect(device.mode).toBe('update');
    expect(device.xml).toContain('<source file="/p/m_config.iso"/><target dev="hdc" bus="ide"/>');
  });

  it('adds a cdrom on a free target when the template has none, and escapes the path', () => {
    const device = configDriveDevice(
      domain("<disk type='file' device='disk'><target dev='hdc' bus='ide'/></disk>"),
      '/p/a\'b"<c>.iso',
    );
    expect(device.mode).toBe('attach');
    expect(device.xml).toContain('dev="hdd"');
    expect(device.xml).toContain('/p/a&apos;b&quot;&lt;c&gt;.iso');
  });
});

describe('locks', () => {
  it('KeyedMutex says whether a key is held, from the moment work is queued', async () => {
    const locks = new KeyedMutex();
    let release!: () => void;
    const running = locks.run('a', () => new Promise<void>((r) => (release = r)));
    expect(locks.isHeld('a')).toBe(true);
    expect(locks.isHeld('b')).toBe(false);
    await new Promise((r) => setTimeout(r, 0));
    release();
    await running;
    expect(locks.isHeld('a')).toBe(false);
  });

  it('KeyedMutex runs one key at a time, in order, even after a failure', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let inside = 0;
    const work = (name: string, fail = false) =>
      mutex.run('k', async () => {
        inside++;
        expect(inside).toBe(1);
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
        inside--;
        if (fail) throw new Error(name);
      });
    const results = await Promise.allSettled([work('a'), work('b', true), work('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('Rollback', () => {
  it('undoes newest first, goes on past a failing undo, and reports it', async () => {
    const rollback = new Rollback(silent, {});
    const done: string[] = [];
    rollback.add('first', async () => done.push('first'));
    rollback.add('second', async () => {
      throw new Error('gone');
    });
    rollback.add('third', async () => done.push('third'));
    expect(await rollback.unwind()).toEqual(['second: gone']);
    expect(done).toEqual(['third', 'first']);
    expect(await rollback.unwind()).toEqual([]);
  });
});

describe('action rules', () => {
  it('allows what makes sense in each state', () => {
    expect(allowedActions('running')).toEqual(['stop', 'shutdown', 'reboot', 'pause']);
    expect(allowedActions('paused')).toEqual(['stop', 'resume']);
    expect(allowedActions('shutoff')).toEqual(['start']);
  });

  it('refuses the rest as a bad request naming state and choices', () => {
    expect(() => assertActionAllowed('m', 'paused', 'pause')).toThrow(
      new ServiceError('bad-request', 'cannot pause machine m: it is paused; allowed now: stop, resume'),
    );
    expect(() => assertActionAllowed('m', 'running', 'explode' as never)).toThrow(/unknown action 'explode'/);
  });
});
