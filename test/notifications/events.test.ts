import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import type { EmailMessage, PushMessage } from '../../src/modules/notifications/providers.js';

let t: TestApp;
let pushes: PushMessage[] = [];
let emails: EmailMessage[] = [];
let failPushFor: Set<number> = new Set();

beforeAll(async () => {
  t = await sharedTestApp();
  t.ctx.services.notifications.useProviders({
    push: {
      async send(m) {
        // Fails once per listed device, to exercise retries.
        if (failPushFor.delete(m.deviceId)) throw new Error('provider down');
        pushes.push(m);
      },
    },
    email: {
      async send(m) {
        emails.push(m);
      },
    },
  });
});
afterAll(async () => t?.close());
beforeEach(() => {
  pushes = [];
  emails = [];
  failPushFor = new Set();
});

/** Hands an event to the listeners directly: only for payloads no HTTP action can produce (see the last block). */
const emit = async (name: string, payload: Record<string, unknown>) => {
  await t.ctx.events.emit(name, payload);
  await t.drain();
};
type Visibility = 'public' | 'followers' | 'private';
/** A real post over HTTP; its mentions are processed by the time it returns. */
const postBy = async (u: TestUser, text = 'a post', visibility: Visibility = 'public') => {
  const res = await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text, visibility } });
  expect(res.statusCode).toBe(201);
  await t.drain();
  return res.json().id as number;
};
/** A real comment (or reply, with `parent`) over HTTP. */
const commentBy = async (u: TestUser, post: number, text: string, parent?: number) => {
  const res = await u.req({ method: 'POST', url: '/api/v1/comments/', body: { post: String(post), text, ...(parent ? { parent } : {}) } });
  expect(res.statusCode).toBe(201);
  await t.drain();
  return res.json().id as number;
};
const like = async (u: TestUser, url: string) => {
  const res = await u.req({ method: 'POST', url, body: {} });
  await t.drain();
  return res.statusCode;
};
const follow = async (u: TestUser, other: TestUser) => {
  expect((await u.req({ method: 'POST', url: `/api/v1/users/${other.id}/follow/` })).statusCode).toBe(200);
  await t.drain();
};
/** A real direct message over HTTP, left unread; draining runs its delayed unread reminder. */
const dm = async (from: TestUser, to: TestUser, body: string) => {
  const thread = (await from.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: to.id } })).json().id as number;
  const res = await from.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(thread), body } });
  expect(res.statusCode).toBe(201);
  await t.drain();
  return { thread, message: res.json().id as number };
};
const inbox = async (u: TestUser) => (await u.req({ url: '/api/v1/notifications/?page_size=100' })).json().results as { id: number; type: string; payload: Record<string, unknown> }[];
const addDevice = async (u: TestUser, token: string) => {
  const res = await u.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'ios', push_token: token } });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
};
const settings = async (u: TestUser, s: Record<string, unknown>) => {
  const res = await u.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { settings: s } });
  expect(res.statusCode).toBe(200);
};

describe('follows (real HTTP producer)', () => {
  it('notifies the followee once, pushes to every device, never the follower', async () => {
    const [a, b] = [await t.user(), await t.user()];
    const d1 = await addDevice(b, `tok-${b.id}-1`);
    const d2 = await addDevice(b, `tok-${b.id}-2`);
    expect((await a.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/` })).statusCode).toBe(200);
    await t.drain();
    const got = await inbox(b);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'follow', payload: { actor_id: a.id } });
    expect(await inbox(a)).toEqual([]);
    expect(pushes.map((p) => p.deviceId).sort()).toEqual([d1, d2].sort());
    expect(pushes[0]).toMatchObject({ userId: b.id, notificationId: got[0].id, type: 'follow', title: 'New follower' });
    expect(emails).toEqual([]); // follows are push-only

    // notification.created carries the recipient, so the fan-out reads only the devices; an event
    // written before it did (no userId) still reaches them through the notification.
    pushes = [];
    await emit('notification.created', { notificationId: got[0].id, push: true, email: false });
    expect(pushes.map((p) => p.deviceId).sort()).toEqual([d1, d2].sort());
    pushes = [];

    // Unfollow + follow again does not notify twice.
    await a.req({ method: 'DELETE', url: `/api/v1/users/${b.id}/follow/` });
    await a.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/` });
    await t.drain();
    expect(await inbox(b)).toHaveLength(1);
  });

  it('a failing device is retried alone; the other device gets exactly one push', async () => {
    const [a, b] = [await t.user(), await t.user()];
    const d1 = await addDevice(b, `tok-${b.id}-x`);
    const d2 = await addDevice(b, `tok-${b.id}-y`);
    failPushFor = new Set([d1]);
    await a.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/` });
    await t.drain();
    expect(pushes.filter((p) => p.deviceId === d1)).toHaveLength(1);
    expect(pushes.filter((p) => p.deviceId === d2)).toHaveLength(1);
  });

  it('a muted or blocked follower does not notify', async () => {
    const [a, b, c] = [await t.user(), await t.user(), await t.user()];
    await b.req({ method: 'POST', url: `/api/v1/users/${a.id}/mute/` });
    await a.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/` });
    await t.drain();
    expect(await inbox(b)).toEqual([]);
    const post = await postBy(b);
    await c.req({ method: 'POST', url: `/api/v1/users/${b.id}/block/` });
    await like(c, `/api/v1/posts/${post}/like/`);
    expect(await inbox(b)).toEqual([]);
  });
});

describe('likes', () => {
  it('a like → like for the author; self-likes and repeats (also after unlike) do not notify', async () => {
    const [author, liker] = [await t.user(), await t.user()];
    const post = await postBy(author);
    expect(await like(liker, `/api/v1/posts/${post}/like/`)).toBe(200);
    expect(await like(liker, `/api/v1/posts/${post}/like/`)).toBe(200);
    await liker.req({ method: 'DELETE', url: `/api/v1/posts/${post}/unlike/` });
    expect(await like(liker, `/api/v1/posts/${post}/like/`)).toBe(200);
    expect(await like(author, `/api/v1/posts/${post}/like/`)).toBe(200);
    const got = await inbox(author);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'like', payload: { actor_id: liker.id, post_id: post } });
  });

  it('a comment like → comment_like', async () => {
    const [author, liker] = [await t.user(), await t.user()];
    const comment = await commentBy(author, await postBy(author), 'like me');
    expect(await like(liker, `/api/v1/comments/${comment}/like/`)).toBe(200);
    expect(await inbox(author)).toMatchObject([{ type: 'comment_like', payload: { actor_id: liker.id, comment_id: comment } }]);
  });
});

describe('comments and replies', () => {
  it('comment → post author, reply → parent author, with a short preview', async () => {
    const [postAuthor, parentAuthor, commenter] = [await t.user(), await t.user(), await t.user()];
    const text = 'x'.repeat(500);
    const p30 = await postBy(postAuthor);
    const parent = await commentBy(parentAuthor, p30, 'first!');
    const reply = await commentBy(commenter, p30, text, parent);
    const [c, first] = await inbox(postAuthor);
    expect(c).toMatchObject({ type: 'comment', payload: { actor_id: commenter.id, post_id: p30, comment_id: reply } });
    expect((c.payload.preview as string).length).toBe(140);
    expect(c.payload.preview).toMatch(/\.\.\.$/);
    expect(first).toMatchObject({ type: 'comment', payload: { actor_id: parentAuthor.id, comment_id: parent } });
    expect(await inbox(parentAuthor)).toMatchObject([{ type: 'reply', payload: { comment_id: reply } }]);
    expect(await inbox(commenter)).toEqual([]);
  });

  it('a reply to the post author’s own comment is one reply, not two notifications', async () => {
    const [postAuthor, commenter] = [await t.user(), await t.user()];
    const post = await postBy(postAuthor);
    await commentBy(commenter, post, 'hi', await commentBy(postAuthor, post, 'my own comment'));
    expect((await inbox(postAuthor)).map((n) => n.type)).toEqual(['reply']);
  });

  it('commenting on one’s own post notifies nobody', async () => {
    const author = await t.user();
    await commentBy(author, await postBy(author), 'note to self');
    expect(await inbox(author)).toEqual([]);
  });
});

describe('mentions', () => {
  it('a post without a mention queues no notification job; one with a mention does', async () => {
    const processed = async () => {
      const m = await t.ctx.metrics.registry.getSingleMetric('jobs_processed_total')!.get();
      return m.values.filter((v) => v.labels.job === 'notifications.event').reduce((n, v) => n + v.value, 0);
    };
    const [author, mentioned] = [await t.user(), await t.user()];
    const before = await processed();
    await postBy(author, 'nothing to see, mail@example.com');
    expect(await processed()).toBe(before);
    await postBy(author, `hello @${mentioned.handle}`);
    expect(await processed()).toBe(before + 1);
    expect((await inbox(mentioned)).map((n) => n.type)).toEqual(['mention']);
  });

  it('public post: every mentioned user, case-insensitively, without self or unknown handles', async () => {
    const [author, m1, m2] = [await t.user(), await t.user(), await t.user()];
    const p61 = await postBy(author, `hey @${m1.handle.toUpperCase()} and @${m2.handle}, @${author.handle} @nobody_here_zz mail@${m1.handle}`);
    expect(await inbox(m1)).toMatchObject([{ type: 'mention', payload: { actor_id: author.id, post_id: p61 } }]);
    expect(await inbox(m2)).toHaveLength(1);
    expect(await inbox(author)).toEqual([]);
  });

  it('followers-only post: only followers are notified; private post: nobody', async () => {
    const [author, follower, stranger] = [await t.user(), await t.user(), await t.user()];
    await follow(follower, author);
    await postBy(author, `@${follower.handle} @${stranger.handle}`, 'followers');
    expect((await inbox(follower)).map((n) => n.type)).toEqual(['mention']);
    expect(await inbox(stranger)).toEqual([]);
    await postBy(author, `@${follower.handle} @${stranger.handle}`, 'private');
    expect(await inbox(follower)).toHaveLength(1);
    expect(await inbox(stranger)).toEqual([]);
  });

  it('comment mentions follow the post’s visibility and do not double-notify the post author', async () => {
    const [postAuthor, commenter, mentioned, stranger] = [await t.user(), await t.user(), await t.user(), await t.user()];
    await follow(mentioned, postAuthor);
    // The commenter must see the followers-only post to comment on it.
    await follow(commenter, postAuthor);
    const p80 = await postBy(postAuthor, 'for followers', 'followers');
    const c81 = await commentBy(commenter, p80, `@${postAuthor.handle} @${mentioned.handle} @${stranger.handle}`);
    // The earlier follows notified the post author too; the comment adds one `comment`, no `mention`.
    expect((await inbox(postAuthor)).map((n) => n.type)).toEqual(['comment', 'follow', 'follow']);
    expect(await inbox(mentioned)).toMatchObject([{ type: 'mention', payload: { comment_id: c81, post_id: p80 } }]);
    expect(await inbox(stranger)).toEqual([]);
  });
});

describe('message reminders and delivery settings', () => {
  it('an unread DM → message notification (via its unread reminder), push and e-mail', async () => {
    const [sender, recipient] = [await t.user(), await t.user()];
    await addDevice(recipient, `tok-${recipient.id}-m`);
    const { thread, message } = await dm(sender, recipient, 'see you at 8');
    const [n] = await inbox(recipient);
    expect(n).toMatchObject({ type: 'message', payload: { sender_id: sender.id, thread_id: thread, message_id: message, preview: 'see you at 8' } });
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ body: 'see you at 8', data: { thread_id: thread, message_id: message } });
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ to: recipient.email, notificationId: n.id });
  });

  it('push_enabled/email_enabled off: the in-app notification is kept, nothing is sent', async () => {
    const [sender, recipient] = [await t.user(), await t.user()];
    await addDevice(recipient, `tok-${recipient.id}-s`);
    await settings(recipient, { push_enabled: false, email_enabled: false });
    await dm(sender, recipient, 'x');
    expect(await inbox(recipient)).toHaveLength(1);
    expect(pushes).toEqual([]);
    expect(emails).toEqual([]);
  });

  it('quiet hours covering now suppress push and e-mail but keep the in-app notification', async () => {
    const [sender, recipient] = [await t.user(), await t.user()];
    await addDevice(recipient, `tok-${recipient.id}-q`);
    const now = new Date();
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    await settings(recipient, { quiet_hours: { start: hhmm(new Date(now.getTime() - 3600_000)), end: hhmm(new Date(now.getTime() + 3600_000)) } });
    await dm(sender, recipient, 'shh');
    expect(await inbox(recipient)).toHaveLength(1);
    expect(pushes).toEqual([]);
    expect(emails).toEqual([]);
  });

  it('quiet hours outside now do not suppress delivery', async () => {
    const [sender, recipient] = [await t.user(), await t.user()];
    await addDevice(recipient, `tok-${recipient.id}-o`);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const now = Date.now();
    await settings(recipient, { quiet_hours: { start: hhmm(new Date(now + 3 * 3600_000)), end: hhmm(new Date(now + 4 * 3600_000)) } });
    await dm(sender, recipient, 'loud');
    expect(pushes).toHaveLength(1);
  });

});

// No HTTP action can make these: a malformed payload, a comment on a post that does not exist, an actor
// suspended between acting and the event's delivery. They guard the listeners against such producers.
describe('listener robustness (events no HTTP action can produce)', () => {
  it('malformed payloads are ignored without failing', async () => {
    const author = await t.user();
    await emit('post.liked', { postId: 'x', userId: null, authorId: author.id });
    expect(await inbox(author)).toEqual([]);
  });

  it('a comment event on a post that does not exist notifies no mentioned user', async () => {
    const [postAuthor, commenter, stranger] = [await t.user(), await t.user(), await t.user()];
    await emit('comment.created', { commentId: 91, postId: 999_999_990, authorId: commenter.id, postAuthorId: postAuthor.id, parentAuthorId: null, text: `@${stranger.handle}` });
    expect(await inbox(stranger)).toEqual([]);
  });

  it('a suspended actor does not notify anyone', async () => {
    const [author, liker] = [await t.user(), await t.user()];
    const post = await postBy(author);
    await t.ctx.services.users.setActive(liker.id, false);
    await emit('post.liked', { postId: post, userId: liker.id, authorId: author.id });
    expect(await inbox(author)).toEqual([]);
  });
});
