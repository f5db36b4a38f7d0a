import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { accessOf } from './access.js';

/** OpenAPI 3.1 generated from the route schemas, served at /docs (UI) and /docs/json. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Yardmaster API',
        version: '1.0.0',
        description: 'Dispatch equipment with a qualified driver to work sites. Errors are application/problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      const access = accessOf(input.route.config);
      if (access && access !== 'public') {
        const description = typeof access === 'string' ? `Access: ${access}` : `Roles: ${access.roles.join(', ')}`;
        out.schema = { ...out.schema, security: [{ bearer: [] }], description };
      }
      return out;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
