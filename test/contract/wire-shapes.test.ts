// Wire-shape snapshots of W-User, W-Post, W-Comment, W-Thread and W-Message (../shared/contract/mobile-usage.md §4):
// the exact set of keys each object presents and each value's JSON type. A field added, dropped or retyped
// anywhere in the presenters or response schemas fails here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
let t: TestApp; let a: TestUser; let b: TestUser;
beforeAll(async () => { t = await sharedTestApp(); [a, b] = await Promise.all([t.user(), t.user()]); });
afterAll(async () => t?.close());
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61', 'hex'), Buffer.alloc(64, 1)]);
function multipart(fields: Record<string, string>, files: { name: string; filename: string; type: string; data: Buffer }[]) {
  const boundary = '----sltest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) { parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`)); parts.push(f.data, Buffer.from('\r\n')); }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

type Shape = Record<string, string>;
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const shape = (o: Record<string, unknown>): Shape => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeOf(v)]).sort(([x], [y]) => x.localeCompare(y)));
const sorted = (s: Shape): Shape => Object.fromEntries(Object.entries(s).sort(([x], [y]) => x.localeCompare(y)));

// W-User as the owner sees it (email, birth place and settings are shown to the user only; others get null).
const W_USER_OWN: Shape = sorted({
  id: 'number', email: 'string', handle: 'string', username: 'string', name: 'string', bio: 'string', photo: 'string', avatar_url: 'string',
  account_key: 'string', birth_date: 'null', birth_time: 'null', birth_place: 'string', locale: 'string', flags: 'object',
  followers_count: 'number', following_count: 'number', posts_count: 'number', is_following: 'boolean', created_at: 'string', updated_at: 'string', settings: 'object',
});
const W_USER_OTHER: Shape = { ...W_USER_OWN, email: 'null', birth_place: 'null', settings: 'null' };
const W_POST: Shape = sorted({
  id: 'number', author: 'object', text: 'string', visibility: 'string', language: 'string', media: 'array', images: 'array', image_urls: 'array', image_url: 'null',
  video: 'null', like_count: 'number', comment_count: 'number', liked: 'boolean', viewer_has_liked: 'boolean', recent_gifts: 'array', gift_summary: 'object', hidden: 'boolean', created_at: 'string',
});
const W_COMMENT: Shape = sorted({
  id: 'number', post: 'number', author: 'object', body: 'string', text: 'string', parent: 'null', images: 'array', image_urls: 'array', image_url: 'null', media: 'array',
  like_count: 'number', liked: 'boolean', viewer_has_liked: 'boolean', recent_gifts: 'array', gift_summary: 'object', hidden: 'boolean', created_at: 'string',
});
const W_THREAD: Shape = sorted({
  id: 'number', is_group: 'boolean', title: 'string', members: 'array', participants: 'array', last_message: 'object', unread_count: 'number', created_at: 'string', updated_at: 'string',
});
const W_MEMBER: Shape = sorted({ id: 'number', user: 'object', user_id: 'number', role: 'string', created_at: 'string', updated_at: 'string' });
const W_MESSAGE: Shape = sorted({
  id: 'number', thread: 'number', thread_id: 'number', sender: 'object', sender_id: 'number', reply_to: 'object', body: 'string', type: 'string', meta: 'object', status: 'string',
  delivered_at: 'null', read_at: 'null', client_uuid: 'string', created_at: 'string', edited_at: 'null', attachments: 'array', reactions: 'array',
});
const W_ATTACHMENT: Shape = sorted({ id: 'number', url: 'string', type: 'string', mime_type: 'string', width: 'null', height: 'null', duration: 'null' });
const W_REPLY_TO: Shape = sorted({ id: 'string', sender_id: 'number', text_preview: 'string', has_attachments: 'boolean' });
const W_REACTION: Shape = sorted({ emoji: 'string', count: 'number', reacted_by_current_user: 'boolean', reactedByCurrentUser: 'boolean', user_ids: 'array' });

it('W-User, W-Post, W-Comment, W-Thread and W-Message present exactly the contract keys with their types', async () => {
  const post = (await a.req({ method: 'POST', url: '/api/v1/posts', body: { text: 'hello' } })).json();
  const comment = (await b.req({ method: 'POST', url: '/api/v1/comments', body: { post: post.id, body: 'hi' } })).json();
  const thread = (await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: b.id } })).json();
  const first = (await b.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(thread.id), body: 'one', client_uuid: 'u1' } })).json();
  const mp = multipart({ body: 'pics', client_uuid: 'u2', reply_to_message_id: String(first.id) }, [{ name: 'attachments', filename: 'a.png', type: 'image/png', data: PNG }]);
  const msg = (await a.req({ method: 'POST', url: `/api/v1/threads/${thread.id}/messages/`, payload: mp.payload, headers: mp.headers })).json();
  await b.req({ method: 'POST', url: `/api/v1/messages/${msg.id}/reactions`, body: { emoji: '👍' } });
  const threadAgain = (await a.req({ url: `/api/v1/threads/${thread.id}` })).json();
  const postAgain = (await b.req({ url: `/api/v1/posts/${post.id}` })).json();
  const me = (await a.req({ url: '/api/v1/users/me' })).json();
  await b.req({ method: 'POST', url: `/api/v1/messages/${msg.id}/reactions`, body: { emoji: 'x' } });
  const one = (await b.req({ url: `/api/v1/messages/${msg.id}` })).json();

  expect(shape(me)).toEqual(W_USER_OWN);
  expect(Object.keys(me.flags).sort()).toEqual(['following', 'is_following', 'online']);
  expect(Object.keys(me.settings).sort()).toEqual(['digest_enabled', 'dm_policy', 'email_enabled', 'language', 'privacy', 'push_enabled', 'quiet_hours']);

  for (const p of [post, postAgain]) expect(shape(p)).toEqual(W_POST);
  expect(shape(postAgain.author)).toEqual(W_USER_OTHER);
  expect(shape(post.author)).toEqual(W_USER_OWN);

  expect(shape(comment)).toEqual(W_COMMENT);
  expect(shape(comment.author)).toEqual(W_USER_OWN);

  for (const th of [thread, threadAgain]) {
    expect(shape(th)).toEqual({ ...W_THREAD, last_message: th.last_message === null ? 'null' : 'object' });
    for (const m of th.members) expect(shape(m)).toEqual(W_MEMBER);
  }
  expect(shape(threadAgain.last_message)).toEqual({ body: 'string', created_at: 'string' });
  expect(shape(threadAgain.members.find((m: { user_id: number }) => m.user_id === a.id).user)).toEqual(W_USER_OWN);
  expect(shape(threadAgain.participants[0])).toEqual(W_USER_OTHER);

  expect(shape(first)).toEqual({ ...W_MESSAGE, reply_to: 'null' });
  expect(shape(msg)).toEqual(W_MESSAGE);
  expect(shape(msg.sender)).toEqual(W_USER_OWN);
  expect(shape(msg.reply_to)).toEqual(W_REPLY_TO);
  expect(msg.attachments).toHaveLength(1);
  expect(shape(msg.attachments[0])).toEqual(W_ATTACHMENT);
  expect(shape(one)).toEqual(W_MESSAGE);
  expect(shape(one.sender)).toEqual(W_USER_OTHER);
  expect(one.reactions).toHaveLength(2);
  for (const r of one.reactions) expect(shape(r)).toEqual(W_REACTION);
});
