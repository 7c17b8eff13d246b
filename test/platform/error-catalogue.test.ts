// The error catalogues: handlers answer the catalogue's code/status/message, and the OpenAPI document
// lists each operation's errors with their codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { defineErrors } from '../../src/platform/http/errors.js';
import { SocialErrors } from '../../src/modules/social/errors.js';
import { MessagingErrors } from '../../src/modules/messaging/errors.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('error catalogue', () => {
  it('builds DRF-shaped errors from one declaration', () => {
    const E = defineErrors({ gone: { status: 410, code: 'gone', message: 'It is gone.' } });
    expect(E.gone().status).toBe(410);
    expect(E.gone().body).toEqual({ detail: 'It is gone.', code: 'gone' });
    expect(E.gone('Other words.').body).toEqual({ detail: 'Other words.', code: 'gone' });
  });

  it("handlers answer with the catalogue's entry", async () => {
    const r = await t.request({ url: '/api/v1/posts/999999' });
    expect(r.statusCode).toBe(SocialErrors.specs.postNotFound.status);
    expect(r.json()).toEqual({ detail: SocialErrors.specs.postNotFound.message, code: SocialErrors.specs.postNotFound.code });
  });

  it("the OpenAPI document lists each operation's errors with their codes", async () => {
    const doc = (await t.request({ url: '/api/schema/' })).json();
    const getPost = doc.paths['/api/v1/posts/{id}'].get.responses;
    expect(getPost['404'].description).toContain('not_found');
    expect(getPost['400'].description).toContain('invalid');
    const ack = doc.paths['/api/v1/messages/{id}/ack'].post.responses;
    expect(ack['404'].description).toContain(MessagingErrors.specs.messageNotFound.code);
    expect(ack['400'].description).toContain(MessagingErrors.specs.ownMessage.code);
    expect(ack['401'].description).toContain('not_authenticated');
    expect(ack['429'].description).toContain('throttled');
    const follow = doc.paths['/api/v1/users/{id}/follow'].post.responses;
    expect(follow['400'].description).toContain('cannot_follow_self');
    const lift = doc.paths['/api/v1/moderation/admin/enforcements/{id}/lift'].post.responses;
    expect(lift['403'].description).toContain('permission_denied');
    expect(lift['409'].description).toContain('already_lifted');
    // Success responses keep their own schemas.
    expect(getPost['200']).toBeDefined();
  });
});
