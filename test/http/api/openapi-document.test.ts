/**
 * The API's OpenAPI document: valid OpenAPI 3.1 by a validator from the registry, served at
 * /api/openapi.json under the API's authentication, and every schema in it compiles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { apiDocumentation } from '../../../server/http/api/openapi/index.js';
import { apiClient, startApiPanel } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel();
});
afterAll(async () => {
  await panel?.close();
});
const api = apiClient(() => panel.base);

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(apiDocumentation().document));
    expect(result.errors ?? [], String(JSON.stringify(result.errors ?? [])).slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator can say no: an answer without its description is not OpenAPI.
    const broken = structuredClone(apiDocumentation().document) as {
      paths: Record<string, { get?: { responses: Record<string, object> } }>;
    };
    broken.paths['/api/plans/']!.get!.responses['200'] = {};
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('has schemas a JSON Schema 2020-12 validator compiles (refs resolved)', () => {
    const { document } = apiDocumentation();
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'vmango-openapi', ...document });
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    for (const name of Object.keys(schemas))
      expect(() => ajv.getSchema(`vmango-openapi#/components/schemas/${name}`)).not.toThrow();
  });

  it('is served at /api/openapi.json to API credentials only, as the same document', async () => {
    const served = await api('/api/openapi.json');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(served.json).toEqual(apiDocumentation().document);
    const anonymous = await fetch(`${panel.base}/api/openapi.json`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ Error: 'Authentication failed' });
    expect((await api('/api/openapi.json', { method: 'POST' })).status).toBe(501);
  });

  it('documents both ways to authenticate', () => {
    const { document } = apiDocumentation();
    expect(document.security).toEqual([{ vmangoUser: [], vmangoPass: [] }, { bearerToken: [] }]);
    expect((document.components as Record<string, unknown>).securitySchemes).toMatchObject({
      vmangoUser: { type: 'apiKey', in: 'header', name: 'X-Vmango-User' },
      vmangoPass: { type: 'apiKey', in: 'header', name: 'X-Vmango-Pass' },
      bearerToken: { type: 'http', scheme: 'bearer' },
    });
  });
});
