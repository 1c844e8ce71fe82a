import { describe, expect, it } from 'vitest';
import { parseTemplate, TemplateError, TrustedXml } from '../../../server/formats/gotemplate/index.js';
import { vmangoTemplateContext, type TemplateContextInput } from '../../../server/services/machines/template-context.js';

const input = (over: Partial<TemplateContextInput> = {}): TemplateContextInput => ({
  machine: {
    name: 'web1',
    sshKeys: [{ name: 'k', public: 'ssh-rsa AAA' }],
    userdata: '',
    creator: 'admin',
    memoryBytes: 3 * 1024 * 1024,
  },
  image: {
    id: 'Centos-7_amd64_qcow2.img',
    os: 'Centos-7',
    arch: 'x86_64',
    sizeBytes: 5 * 1024 * 1024 + 1,
    format: 'qcow2',
    date: new Date('2020-01-02T03:04:05Z'),
    poolName: 'imgs',
  },
  plan: { name: 'small', memoryBytes: 512 * 1024 * 1024, cpus: 2, diskSizeBytes: 5 * 1024 ** 3 + 7 },
  ...over,
});
const run = (t: string, over?: Partial<TemplateContextInput>) =>
  parseTemplate('t', t).execute(vmangoTemplateContext(input(over)));

describe('vmango template context', () => {
  it('Image methods behave like vmango 0.6', () => {
    expect(
      run(
        '{{.Image.OSName}}|{{.Image.OSVersion}}|{{.Image.SizeMegabytes}}|{{.Image.TypeString}}|{{.Image.Type}}|{{.Image.Arch}}|{{.Image.Date}}',
      ),
    ).toBe('Centos|7|5|qcow2|2|x86_64|2020-01-02 03:04:05 +0000 UTC');
  });
  it('OSVersion without "-" is empty instead of a Go panic', () => {
    expect(run('[{{.Image.OSVersion}}]', { image: { ...input().image, os: 'plain' } })).toBe('[]');
  });
  it('raw and unknown formats and x86 arch', () => {
    expect(run('{{.Image.TypeString}} {{.Image.Arch}}', { image: { ...input().image, format: 'raw', arch: 'x86' } })).toBe(
      'raw x86',
    );
    expect(
      run('{{.Image.TypeString}} {{.Image.Type}}', { image: { ...input().image, format: 'unknown', arch: 'unknown' } }),
    ).toBe('unknown 0');
  });
  it('Plan sizes truncate like Go integer division', () => {
    expect(run('{{.Plan.MemoryMegabytes}} {{.Plan.DiskSizeGigabytes}} {{.Plan.Cpus}}')).toBe('512 5 2');
  });
  it('Machine methods', () => {
    expect(
      run('{{.Machine.StateName}} {{.Machine.IsRunning}} {{.Machine.MemoryMegabytes}} {{.Machine.HasUserdata}} {{.Machine}}'),
    ).toBe('unknown false 3 false web1');
    const withUd = input();
    withUd.machine.userdata = '#!/bin/sh';
    expect(parseTemplate('t', '{{.Machine.HasUserdata}}').execute(vmangoTemplateContext(withUd))).toBe('true');
  });
  it('nil Ip behaves like a nil *models.IP', () => {
    expect(run('{{if .Machine.Ip}}y{{else}}n{{end}} {{.Machine.Ip}}')).toBe('n <nil>');
    expect(() => run('{{.Machine.Ip.Address}}')).toThrow('nil pointer evaluating *models.IP.Address');
  });
  it('unknown fields report the Go type', () => {
    expect(() => run('{{.Machine.Foo}}')).toThrow(TemplateError);
    expect(() => run('{{.Machine.Foo}}')).toThrow("can't evaluate field Foo in type *models.VirtualMachine");
  });
  it('Metadata as TrustedXml prints raw, also in xml mode', () => {
    const ctx = vmangoTemplateContext(input({ metadata: new TrustedXml('<a x="1"/>') }));
    expect(parseTemplate('t', '{{.Metadata}}').execute(ctx, { escape: 'xml' })).toBe('<a x="1"/>');
    expect(parseTemplate('t', '{{.Metadata}}').execute(ctx)).toBe('<a x="1"/>');
  });
  it('rejects bad input with a clear message', () => {
    expect(() => vmangoTemplateContext(input({ plan: { name: 'p', memoryBytes: -1, cpus: 1, diskSizeBytes: 1 } }))).toThrow(
      'plan memoryBytes must be a non-negative integer',
    );
    expect(() => vmangoTemplateContext(input({ image: { ...input().image, format: 'vmdk' as 'raw' } }))).toThrow(
      'image format must be raw, qcow2 or unknown',
    );
  });
});
