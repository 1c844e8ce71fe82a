/**
 * The API's documentation, one operation at a time: each route group's module lists its
 * operations (ApiOperation) and the document (OpenAPI 3.1) is put together from them. The request
 * schemas are the ones the routes read their bodies and queries with (request-schema.ts).
 *
 * Every operation gets the answers every API request may get (401, 429, 500), and an operation
 * with a body those of reading it (400, 413, 415): a module lists only its own.
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { formSchema, type BodySpec } from '../../request-schema.js';
import { ERROR_REF } from './components.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  /** The JSON body; none for 204. */
  schema?: TSchema;
  /** A body that is not JSON (an event stream): its media type and schema, in place of `schema`. */
  content?: { mediaType: string; schema: TSchema };
  headers?: Record<string, { description: string; schema: TSchema }>;
}

export interface ApiOperation {
  method: HttpMethod;
  /** As the router has it: `/api/machines/:provider/:id/`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Schemas of path parameters that take less than any text (default: a string). */
  pathParameters?: Record<string, TSchema>;
  /** Query parameters: each property of this schema is one. */
  query?: TObject;
  /** A body read from JSON or a form (its form fields derived from the JSON schema). */
  body?: { spec: BodySpec; description?: string };
  /** This operation's own answers (the common ones are added). */
  responses: Record<number, ResponseDoc>;
}

/** Path parameters, described once. */
const PATH_PARAMETERS: Record<string, string> = {
  provider: 'The hypervisor (provider) name, as in the config.',
  id: "The machine's id (its libvirt UUID without dashes).",
  name: "The snapshot's name.",
  action: 'The power action.',
};

const RETRY_AFTER = { description: 'Seconds to wait before trying again.', schema: Type.Integer() };

export function errorResponse(description: string, headers?: ResponseDoc['headers']): ResponseDoc {
  return { description, schema: ERROR_REF, ...(headers ? { headers } : {}) };
}

/** 503 with Retry-After: the hypervisor is not connected, or too busy. */
export const UNAVAILABLE = errorResponse('The hypervisor is not connected or is busy; try again later.', {
  'Retry-After': RETRY_AFTER,
});

export const NOT_FOUND = errorResponse('No such provider, or no such machine on it (or one the user may not see).');
export const FORBIDDEN = errorResponse('The user lacks a permission (named in the message and in Permission).');
export const BUSY = errorResponse('The machine is not in a state that allows it, or another change of it is under way.');

const COMMON: Record<number, ResponseDoc> = {
  401: errorResponse('No credentials, wrong ones, or an expired or revoked token: {"Error": "Authentication failed"}.'),
  429: errorResponse('Too many failed logins from this user or address, or too many being checked.', {
    'Retry-After': RETRY_AFTER,
  }),
  500: errorResponse('An unexpected error (logged): {"Error": "Internal server error"}.'),
};

const BODY_ERRORS: Record<number, ResponseDoc> = {
  400: errorResponse('The body breaks its schema: the message names the field and what it must be.'),
  413: errorResponse('The body is larger than the route accepts.'),
  415: errorResponse('The Content-Type is neither application/json nor application/x-www-form-urlencoded, or not UTF-8.'),
};

const QUERY_ERRORS: Record<number, ResponseDoc> = {
  400: errorResponse('An unknown or repeated query parameter, or a value the route does not accept.'),
};

export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

function pathParameterNames(expressPath: string): string[] {
  return [...expressPath.matchAll(/:([A-Za-z_]\w*)/g)].map((match) => match[1]!);
}

export class ApiDocumentation {
  private readonly ops: ApiOperation[] = [];

  /** Documents one operation (a route and method); a second one of the same route and method is a mistake. */
  add(...operations: ApiOperation[]): this {
    for (const op of operations) {
      if (this.ops.some((known) => known.path === op.path && known.method === op.method))
        throw new Error(`${op.method.toUpperCase()} ${op.path} is documented twice`);
      if (this.ops.some((known) => known.operationId === op.operationId))
        throw new Error(`operationId ${op.operationId} is used twice`);
      this.ops.push(op);
    }
    return this;
  }

  operations(): readonly ApiOperation[] {
    return this.ops;
  }

  /** The answers `op` may give, its own and the common ones (its own win). */
  responsesOf(op: ApiOperation): Record<number, ResponseDoc> {
    return { ...COMMON, ...(op.query ? QUERY_ERRORS : {}), ...(op.body ? BODY_ERRORS : {}), ...op.responses };
  }

  /** The OpenAPI 3.1 paths object. */
  paths(): Record<string, Record<string, unknown>> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.ops) {
      const item = (paths[openApiPath(op.path)] ??= {});
      item[op.method] = this.operationObject(op);
    }
    return paths;
  }

  private operationObject(op: ApiOperation): Record<string, unknown> {
    const parameters = [
      ...pathParameterNames(op.path).map((name) => ({
        name,
        in: 'path',
        required: true,
        description: PATH_PARAMETERS[name] ?? name,
        schema: op.pathParameters?.[name] ?? Type.String(),
      })),
      ...Object.entries(op.query?.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        ...((schema as { description?: string }).description
          ? { description: (schema as { description?: string }).description }
          : {}),
        schema,
      })),
    ];
    const responses = Object.fromEntries(
      Object.entries(this.responsesOf(op))
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, doc]) => [
          status,
          {
            description: doc.description,
            ...(doc.headers ? { headers: doc.headers } : {}),
            ...(doc.schema ? { content: { 'application/json': { schema: doc.schema } } } : {}),
            ...(doc.content ? { content: { [doc.content.mediaType]: { schema: doc.content.schema } } } : {}),
          },
        ]),
    );
    return {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              ...(op.body.description ? { description: op.body.description } : {}),
              required: false,
              content: {
                'application/json': { schema: op.body.spec.schema },
                'application/x-www-form-urlencoded': { schema: formSchema(op.body.spec) },
              },
            },
          }
        : {}),
      responses,
    };
  }
}
