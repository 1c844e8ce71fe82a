import { describe, expect, it } from 'vitest';
import { createRequestFromBody } from '../../server/http/create-request.js';
import { HttpError } from '../../server/http/http-error.js';

const form = (...fields: [string, string][]) => ({ kind: 'form' as const, fields });
const json = (value: unknown) => ({ kind: 'json' as const, value });

function errorOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected an HttpError');
}

describe('createRequestFromBody', () => {
  it('reads 0.6 form fields case-insensitively, with SSHKey repeated and CSRF ignored', () => {
    const request = createRequestFromBody(
      form(
        ['name', 'testapi'],
        ['PLAN', 'small'],
        ['Image', 'Cirros-0.6_amd64_qcow2.img'],
        ['SSHKey', 'test'],
        ['sshkey', 'home'],
        ['Provider', 'LOCAL1'],
        ['Userdata', ' hello '],
        ['csrf', 't'],
        ['CSRF', 't'],
      ),
      'admin',
    );
    expect(request).toEqual({
      provider: 'LOCAL1',
      name: 'testapi',
      plan: 'small',
      image: 'Cirros-0.6_amd64_qcow2.img',
      sshKeys: ['test', 'home'],
      userdata: ' hello ',
      creator: 'admin',
    });
  });

  it('gives missing fields as empty strings, for the service to refuse', () => {
    expect(createRequestFromBody(form(['Plan', '']), 'admin')).toEqual({
      provider: '',
      name: '',
      plan: '',
      image: '',
      sshKeys: [],
      userdata: '',
      creator: 'admin',
    });
    expect(createRequestFromBody(json({ Name: 'a', Plan: 'p' }), 'u')).toMatchObject({
      name: 'a',
      plan: 'p',
      image: '',
      provider: '',
    });
  });

  it('refuses unknown form fields naming the field and the allowed ones', () => {
    const err = errorOf(() => createRequestFromBody(form(['Name', 'a'], ['Hypervisor', 'x']), 'u'));
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      'unknown form field "Hypervisor"; the fields are Name, Plan, Image, Provider, Userdata, SSHKey (repeatable)',
    );
  });

  it('refuses a single-valued field given twice', () => {
    expect(errorOf(() => createRequestFromBody(form(['Name', 'a'], ['name', 'b']), 'u')).message).toBe(
      'form field "Name" is given more than once; it takes one value',
    );
  });

  it('reads JSON with SSHKey as a string or list, or SSHKeys', () => {
    const base = { Name: 'a', Plan: 'p', Image: 'i', Provider: 'P' };
    expect(createRequestFromBody(json({ ...base, SSHKey: 'k' }), 'u').sshKeys).toEqual(['k']);
    expect(createRequestFromBody(json({ ...base, SSHKey: ['k', 'l'] }), 'u').sshKeys).toEqual(['k', 'l']);
    expect(createRequestFromBody(json({ ...base, SSHKeys: ['m'], Userdata: 'x' }), 'u')).toMatchObject({
      sshKeys: ['m'],
      userdata: 'x',
    });
    expect(createRequestFromBody(json({ ...base, userdata: null }), 'u').userdata).toBe('');
  });

  it('refuses JSON of the wrong shape with the rule', () => {
    expect(errorOf(() => createRequestFromBody(json([1]), 'u')).message).toMatch(
      /^the JSON body must be an object with the fields Name, /,
    );
    expect(errorOf(() => createRequestFromBody(json({ Name: 5 }), 'u')).message).toBe(
      'field "Name" must be a string, not a number',
    );
    expect(errorOf(() => createRequestFromBody(json({ SSHKey: [1] }), 'u')).message).toBe(
      'field "SSHKey" must be a list of SSH key names (strings), not a list with non-string items',
    );
    expect(errorOf(() => createRequestFromBody(json({ SSHKey: 'a', SSHKeys: ['b'] }), 'u')).message).toBe(
      'the SSH keys are given twice ("SSHKey" and "SSHKeys"); give one list',
    );
    expect(errorOf(() => createRequestFromBody(json({ Nmae: 'x' }), 'u')).message).toMatch(
      /^unknown field "Nmae"; the fields are /,
    );
  });

  it('refuses field names that are properties of every JS object', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(errorOf(() => createRequestFromBody(form([name, 'x']), 'u')).message).toMatch(
        new RegExp(`^unknown form field "${name}"`),
      );
      expect(errorOf(() => createRequestFromBody(json(JSON.parse(`{"${name}": "x"}`)), 'u')).message).toMatch(
        new RegExp(`^unknown field "${name}"`),
      );
    }
  });

  it('takes the creator from the caller, never from the body', () => {
    expect(errorOf(() => createRequestFromBody(form(['Creator', 'mallory']), 'u')).message).toMatch(
      /unknown form field "Creator"/,
    );
    expect(createRequestFromBody(json({ Name: 'a', Plan: 'p', Image: 'i', Provider: 'P' }), 'alice').creator).toBe('alice');
  });
});
