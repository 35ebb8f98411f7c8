import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { AppInstance } from './app-instance.js';

/** Where the reference page is served; the OpenAPI document is at `<DOCS_PATH>/json`. */
export const DOCS_PATH = '/docs';

/** A registered route that does not document itself (no summary, or no response schemas). */
export interface UndocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly missing: readonly ('summary' | 'response')[];
}

/**
 * OpenAPI 3.1 generated from the routes' zod schemas, and a reference page (swagger-ui, its
 * assets served by the API itself, so it works offline) at {@link DOCS_PATH}. Returns the list
 * of routes registered after it that lack a `summary` or `response` schemas: a test asserts it
 * stays empty. Routes marked `schema: { hide: true }` (the docs' own) are not listed.
 */
export async function registerApiDocs(
  app: AppInstance,
  info: { readonly title: string; readonly version: string },
): Promise<() => readonly UndocumentedRoute[]> {
  const undocumented: UndocumentedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as
      | { hide?: boolean; summary?: unknown; response?: unknown }
      | undefined;
    if (schema?.hide === true || route.url.startsWith(DOCS_PATH)) return;
    const missing: ('summary' | 'response')[] = [];
    if (typeof schema?.summary !== 'string' || schema.summary === '') missing.push('summary');
    if (typeof schema?.response !== 'object' || schema.response === null) missing.push('response');
    if (missing.length > 0) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) undocumented.push({ method, url: route.url, missing });
    }
  });
  await app.register(swagger, {
    openapi: { openapi: '3.1.0', info: { ...info } },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PATH });
  return () => [...undocumented];
}
