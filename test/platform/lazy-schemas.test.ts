// Route schemas compile on first use (start-up time): they still validate and serialise as before,
// and compileAll (which test/platform/http.test.ts runs over the whole application) finds a broken one.
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { LazySchemas } from '../../src/platform/http/lazy-schemas.js';
import { validatorCompiler } from '../../src/platform/http/validation.js';

describe('lazy route schemas', () => {
  it('compile on the first request, then validate and serialise as before', async () => {
    const schemas = new LazySchemas();
    const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: schemas.serializerFactory() } } });
    app.setValidatorCompiler(validatorCompiler(schemas));
    app.post(
      '/x',
      {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (req) => ({ n: (req.body as { n: number }).n, secret: 'not in the schema' }),
    );
    await app.ready();
    expect(schemas.pendingCount).toBe(3); // strict and multipart body validators, one serializer
    const bad = await app.inject({ method: 'POST', url: '/x', payload: { n: 'five' } });
    expect(bad.statusCode).toBe(400);
    const ok = await app.inject({ method: 'POST', url: '/x', payload: { n: 5 } });
    expect(ok.json()).toEqual({ n: 5 });
    expect(schemas.pendingCount).toBe(1); // the multipart validator: no multipart request came
    await app.close();
  });

  it('compileAll compiles what no request needed yet, and throws a broken schema', () => {
    const schemas = new LazySchemas();
    const compiled: number[] = [];
    const fns = Array.from({ length: 5 }, (_, i) => schemas.wrap(() => (compiled.push(i), () => i)));
    expect(compiled).toEqual([]);
    expect(fns[3]()).toBe(3);
    expect(compiled).toEqual([3]);
    schemas.compileAll();
    expect(compiled.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(schemas.pendingCount).toBe(0);
    schemas.wrap(() => {
      throw new Error('broken schema');
    });
    expect(() => schemas.compileAll()).toThrow('broken schema');
  });
});
