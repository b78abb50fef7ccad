/**
 * The OpenAPI description, generated from the routes' own zod schemas: each
 * operation also says which scope it needs and carries the error answers every
 * endpoint shares, so a client generated from it knows about 401, 403 and 429.
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3 } from 'openapi-types';
import { z } from 'zod';
import { rolesFor, type Permission } from '../auth/permissions.ts';

/** The one error body, as a schema. */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    message: z.string(),
    issues: z
      .array(
        z.strictObject({
          path: z.string().describe('Where, e.g. data.amount or events.3.id'),
          message: z.string(),
          line: z.int().optional().describe('Line in a submitted journey text'),
          column: z.int().optional(),
        }),
      )
      .optional(),
  }),
});

export function openApiDocument(): Partial<OpenAPIV3.Document> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Steward API',
      version: '1',
      description:
        'Engagement journeys for nonprofits. Authenticate with an API key: `Authorization: Bearer <key>`. ' +
        'Scopes: `ingest` (events, constituents in), `read` (everything readable), `staff` (task inbox), `admin` (all, plus journeys and keys). ' +
        'Every error answers with `{ "error": { "message", "issues"? } }`. Lists are paginated with `limit` and an opaque `cursor`.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key, e.g. stw_…' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
    },
    security: [{ bearer: [] }, { apiKeyHeader: [] }],
  };
}

const transform: SwaggerTransform = (input) => {
  const url = input.url;
  if (url.startsWith('/app') || url.startsWith('/u/') || url.startsWith('/p/')) return { schema: { hide: true } as never, url };
  const result = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
  const config = (input.route as { config?: { permission?: Permission | 'public' } }).config;
  const permission = config?.permission ?? 'settings.manage';
  const schema = result.schema as Record<string, unknown>;
  const needs = permission === 'public' ? 'No API key needed.' : `Needs the \`${permission}\` permission: the ${rolesFor(permission)} role (key scopes: admin is admin, read is viewer, staff is staff).`;
  const description = [schema.description, needs].filter(Boolean).join('\n\n');
  return { ...result, schema: { ...schema, description, ...(permission === 'public' ? { security: [] } : {}), 'x-permission': permission } as never };
};

const errorResponse = (description: string): OpenAPIV3.ResponseObject => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const transformObject: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as OpenAPIV3.Document;
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, Error: z.toJSONSchema(ErrorBodySchema, { target: 'openapi-3.0' }) as OpenAPIV3.SchemaObject };
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item?.[method] as (OpenAPIV3.OperationObject & { 'x-permission'?: string }) | undefined;
      if (!operation) continue;
      operation.responses ??= {};
      const add = (code: string, description: string) => (operation.responses[code] ??= errorResponse(description));
      if (operation.requestBody || operation.parameters?.length) {
        add('400', 'The request does not match its schema, or holds text Steward cannot store (NUL, half a surrogate pair) or nesting past 32 levels; `issues` names each bad field');
      }
      if (operation.requestBody) {
        add('413', 'The body is over 10 MiB');
        add('415', 'The body is not of a type Steward reads: send application/json');
      }
      if (operation.parameters?.some((parameter) => 'in' in parameter && parameter.in === 'path')) add('414', 'A path segment is over 500 characters');
      if (operation['x-permission'] !== 'public') {
        add('401', 'No API key, or an unknown or revoked one');
        add('403', 'The key or person lacks the role this operation needs; the message names it');
        add('429', 'Rate limit reached; `Retry-After` says when to try again');
      }
      if (Object.keys(operation.responses).every((code) => Number(code) >= 400)) operation.responses['200'] = { description: 'OK' };
    }
  }
  return document;
};

export const openApiTransform = { transform, transformObject };
