/** The document itself. */
import { Type } from '@sinclair/typebox';
import type { ApiOperation } from './registry.js';

export const OPENAPI_PATH = '/api/openapi.json';

export const documentOperations: ApiOperation[] = [
  {
    method: 'get',
    path: OPENAPI_PATH,
    operationId: 'getOpenApiDocument',
    summary: 'This document (OpenAPI 3.1)',
    tag: 'Documentation',
    responses: {
      200: {
        description: 'The OpenAPI document.',
        schema: Type.Object({ openapi: Type.String(), info: Type.Object({}), paths: Type.Object({}) }),
      },
    },
  },
];
