import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => t?.close());

it('documents the social and media endpoints in the OpenAPI schema', async () => {
  const res = await t.request({ url: '/api/schema/' });
  expect(res.statusCode).toBe(200);
  const paths = Object.keys(res.json().paths);
  for (const p of ['/api/v1/posts', '/api/v1/posts/{id}', '/api/v1/posts/{id}/like', '/api/v1/posts/{id}/unlike', '/api/v1/comments', '/api/v1/comments/{id}', '/api/v1/comments/{id}/like', '/api/v1/gifts', '/api/v1/gifts/{id}', '/api/v1/media', '/api/v1/media/{id}']) {
    expect(paths).toContain(p);
  }
});
