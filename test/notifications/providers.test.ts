// Real delivery: Expo's push HTTP API (a local node:http server speaking it) and SMTP (smtp-server),
// driven through the public API with every module wired. Dead tokens are pruned; failures retried.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { expoReceiptsUrl, loadConfig, ConfigError } from '../../src/config.js';

interface PushCall {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

// ---- a local Expo push service ----
const calls: PushCall[] = [];
/** Per-token behaviour of the fake service: 'ok' (default), 'dead' (DeviceNotRegistered ticket),
 * 'dead-later' (ok ticket, DeviceNotRegistered receipt), 'flaky' (one 503, then ok). */
const behaviour = new Map<string, 'ok' | 'dead' | 'dead-later' | 'flaky'>();
const ticketToken = new Map<string, string>();
let ticketSeq = 0;
const pushServer = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => (raw += d));
  req.on('end', () => {
    const body = JSON.parse(raw || 'null');
    calls.push({ path: req.url ?? '', headers: req.headers, body });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/--/api/v2/push/send') {
      const data = (Array.isArray(body) ? body : [body]).map((m: { to: string }) => {
        const how = behaviour.get(m.to) ?? 'ok';
        if (how === 'dead') return { status: 'error', message: `"${m.to}" is not a registered push notification recipient`, details: { error: 'DeviceNotRegistered' } };
        const id = `ticket-${++ticketSeq}`;
        ticketToken.set(id, m.to);
        return { status: 'ok', id };
      });
      const flaky = (Array.isArray(body) ? body : [body]).find((m: { to: string }) => behaviour.get(m.to) === 'flaky');
      if (flaky) {
        behaviour.set(flaky.to, 'ok');
        res.statusCode = 503;
        return res.end(JSON.stringify({ errors: [{ code: 'INTERNAL', message: 'try again' }] }));
      }
      return res.end(JSON.stringify({ data }));
    }
    if (req.url === '/--/api/v2/push/getReceipts') {
      const data: Record<string, unknown> = {};
      for (const id of body.ids as string[]) {
        const how = behaviour.get(ticketToken.get(id) ?? '');
        data[id] = how === 'dead-later' ? { status: 'error', message: 'gone', details: { error: 'DeviceNotRegistered' } } : { status: 'ok' };
      }
      return res.end(JSON.stringify({ data }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
});

// ---- a local SMTP server ----
interface Mail {
  from: string;
  to: string[];
  raw: string;
}
const mails: Mail[] = [];
let rejectNext: number | null = null;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onRcptTo(address, _session, cb) {
    if (rejectNext !== null) {
      const code = rejectNext;
      rejectNext = null;
      return cb(Object.assign(new Error(code >= 500 ? 'No such user' : 'Try later'), { responseCode: code }));
    }
    cb();
  },
  onData(stream, session, cb) {
    let raw = '';
    stream.on('data', (d) => (raw += d));
    stream.on('end', () => {
      mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
      cb();
    });
  },
});

let t: TestApp;
let alice: TestUser;
let pushUrl: string;

beforeAll(async () => {
  await new Promise<void>((r) => pushServer.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  pushUrl = `http://127.0.0.1:${(pushServer.address() as AddressInfo).port}/--/api/v2/push/send`;
  t = await createTestApp({
    EXPO_PUSH_URL: pushUrl,
    EXPO_ACCESS_TOKEN: 'expo-access-secret',
    SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    EMAIL_FROM: 'SelfLink <no-reply@selflink.test>',
  });
  alice = await t.user({ name: 'Alice Example' });
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => pushServer.close(r));
  await new Promise((r) => smtp.close(() => r(undefined)));
});
beforeEach(() => {
  calls.length = 0;
  mails.length = 0;
});

async function withDevice(token: string) {
  const u = await t.user();
  const r = await u.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'ios', push_token: token } });
  expect(r.statusCode).toBe(201);
  return u;
}
const devicesOf = async (u: TestUser) => (await u.req({ url: '/api/v1/devices/' })).json().results;
const follow = (a: TestUser, b: TestUser) => a.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/` });

describe('Expo push', () => {
  it('a follow POSTs Expo JSON to EXPO_PUSH_URL for the registered token, then reads its receipt at …/getReceipts', async () => {
    const token = 'ExponentPushToken[follow-aaaaaaaaaaaa]';
    const bob = await withDevice(token);
    expect((await follow(alice, bob)).statusCode).toBe(200);
    await t.drain();
    const sends = calls.filter((c) => c.path === '/--/api/v2/push/send');
    expect(sends).toHaveLength(1);
    expect(sends[0].headers['content-type']).toBe('application/json');
    expect(sends[0].headers.authorization).toBe('Bearer expo-access-secret');
    expect(sends[0].body).toEqual([
      expect.objectContaining({ to: token, title: 'New follower', body: 'Alice Example started following you', data: expect.objectContaining({ type: 'follow', actor_id: alice.id }) }),
    ]);
    const receipts = calls.filter((c) => c.path === '/--/api/v2/push/getReceipts');
    expect(receipts).toHaveLength(1);
    expect(receipts[0].body).toEqual({ ids: [expect.stringMatching(/^ticket-\d+$/)] });
    expect(await devicesOf(bob)).toHaveLength(1);
  });

  it('prunes a device whose ticket says DeviceNotRegistered, and only that device', async () => {
    const dead = 'ExponentPushToken[dead-bbbbbbbbbbbb]';
    behaviour.set(dead, 'dead');
    const bob = await withDevice(dead);
    const live = 'ExponentPushToken[live-cccccccccccc]';
    expect((await bob.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'android', push_token: live } })).statusCode).toBe(201);
    await follow(alice, bob);
    await t.drain();
    expect(calls.filter((c) => c.path.endsWith('/send')).map((c) => c.body[0].to).sort()).toEqual([dead, live].sort());
    expect((await devicesOf(bob)).map((d: any) => d.push_token)).toEqual([live]);
  });

  it('prunes a device whose receipt says DeviceNotRegistered', async () => {
    const token = 'ExponentPushToken[later-dddddddddddd]';
    behaviour.set(token, 'dead-later');
    const bob = await withDevice(token);
    await follow(alice, bob);
    await t.drain();
    expect(calls.some((c) => c.path.endsWith('/getReceipts'))).toBe(true);
    expect(await devicesOf(bob)).toEqual([]);
  });

  it('retries a failing push service with backoff until it accepts (one push delivered)', async () => {
    const token = 'ExponentPushToken[flaky-eeeeeeeeeeee]';
    behaviour.set(token, 'flaky');
    const bob = await withDevice(token);
    await follow(alice, bob);
    await t.drain();
    const sends = calls.filter((c) => c.path.endsWith('/send'));
    expect(sends).toHaveLength(2); // 503, then the retry
    expect(await devicesOf(bob)).toHaveLength(1);
  });

  it('the notifications of one relay pass share one fan-out job, each pushed to its own recipient’s devices', async () => {
    const pushJobs = async () => {
      const m = await t.ctx.metrics.registry.getSingleMetric('jobs_processed_total')!.get();
      return m.values.filter((v) => v.labels.job === 'notifications.push').reduce((sum, v) => sum + v.value, 0);
    };
    const bobToken = 'ExponentPushToken[batch-bob-ffffffff]';
    const carolTokens = ['ExponentPushToken[batch-carol-1-ffff]', 'ExponentPushToken[batch-carol-2-ffff]'];
    const bob = await withDevice(bobToken);
    const carol = await withDevice(carolTokens[0]);
    expect((await carol.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'android', push_token: carolTokens[1] } })).statusCode).toBe(201);
    const dave = await t.user();
    await t.drain();
    const before = await pushJobs();
    // The notification jobs run while the relay is stopped: their three notification.created
    // events wait for its next pass, which takes them together.
    await t.ctx.events.stop();
    try {
      for (const u of [bob, carol, dave]) expect((await follow(alice, u)).statusCode).toBe(200);
      await t.ctx.queue.drain();
    } finally {
      t.ctx.events.start();
    }
    await t.drain();
    expect(await pushJobs()).toBe(before + 1);
    const sent = calls.filter((c) => c.path.endsWith('/send')).map((c) => c.body[0] as { to: string; data: { type: string; actor_id: number } });
    expect(sent.map((m) => m.to).sort()).toEqual([bobToken, ...carolTokens].sort());
    expect(sent.every((m) => m.data.type === 'follow' && m.data.actor_id === alice.id)).toBe(true);
  });

  it('receipts live at the same origin as the send URL', () => {
    expect(expoReceiptsUrl('http://127.0.0.1:9999/--/api/v2/push/send')).toBe('http://127.0.0.1:9999/--/api/v2/push/getReceipts');
    expect(expoReceiptsUrl('https://push.example/custom/send/')).toBe('https://push.example/custom/getReceipts');
    expect(expoReceiptsUrl('https://push.example/other')).toBe('https://push.example/--/api/v2/push/getReceipts');
    expect(loadConfig({ EXPO_PUSH_URL: pushUrl }).delivery.push.backend).toBe('expo');
    expect(loadConfig({}).delivery.push.backend).toBe('log');
    expect(() => loadConfig({ EXPO_PUSH_URL: 'ftp://x' })).toThrow(ConfigError);
    expect(() => loadConfig({ PUSH_BACKEND: 'fcm' })).toThrow(/PUSH_BACKEND/);
    expect(() => loadConfig({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
  });
});

describe('SMTP e-mail', () => {
  async function dm(from: TestUser, to: TestUser, body: string) {
    const th = (await from.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: to.id } })).json().id;
    expect((await from.req({ method: 'POST', url: `/api/v1/threads/${th}/messages/`, body: { body } })).statusCode).toBe(201);
  }

  it('an unread message is e-mailed to the recipient from EMAIL_FROM', async () => {
    const bob = await t.user({ email: 'bob.mail@example.com' });
    await dm(alice, bob, 'see you at noon');
    await t.drain();
    const mine = mails.filter((m) => m.to.includes('bob.mail@example.com'));
    expect(mine).toHaveLength(1);
    expect(mine[0].from).toBe('no-reply@selflink.test');
    expect(mine[0].raw).toMatch(/^From: SelfLink <no-reply@selflink\.test>/m);
    expect(mine[0].raw).toMatch(/^Subject: Alice Example/m);
    expect(mine[0].raw).toContain('see you at noon');
  });

  it('the notifications of one relay pass share one e-mail job; its retry sends only the ones not sent yet', async () => {
    const emailJobs = async (outcome: string) => {
      const m = await t.ctx.metrics.registry.getSingleMetric('jobs_processed_total')!.get();
      return m.values.filter((v) => v.labels.job === 'notifications.email' && v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0);
    };
    const bob = await t.user({ email: 'bob.batch@example.com' });
    const carol = await t.user({ email: 'carol.batch@example.com' });
    await t.drain();
    const before = { retried: await emailJobs('retried'), completed: await emailJobs('completed') };
    // Written while the relay is stopped: its next pass takes both notification.created events.
    await t.ctx.events.stop();
    try {
      for (const [u, i] of [[bob, 1], [carol, 2]] as const) {
        const n = await t.ctx.services.notifications.create(u.id, 'message', { actor_id: alice.id, thread_id: 1, message_id: i, preview: `batch ${i}` }, { dedupeKey: `batch-mail:${u.id}` });
        expect(n).not.toBeNull();
      }
    } finally {
      rejectNext = 451;
      t.ctx.events.start();
    }
    await t.drain();
    expect(await emailJobs('retried')).toBe(before.retried + 1);
    expect(await emailJobs('completed')).toBe(before.completed + 1);
    const to = mails.flatMap((m) => m.to).filter((a) => a.endsWith('.batch@example.com'));
    expect(to.sort()).toEqual(['bob.batch@example.com', 'carol.batch@example.com']);
    expect(mails.find((m) => m.to.includes('carol.batch@example.com'))!.raw).toContain('batch 2');
  });

  it('retries a temporary SMTP failure (4xx) and gives up on a permanent one (5xx)', async () => {
    const bob = await t.user({ email: 'bob.retry@example.com' });
    rejectNext = 451;
    await dm(alice, bob, 'first');
    await t.drain();
    expect(mails.filter((m) => m.to.includes('bob.retry@example.com'))).toHaveLength(1);
    const carl = await t.user({ email: 'carl.gone@example.com' });
    rejectNext = 550;
    await dm(alice, carl, 'second');
    await t.drain();
    expect(mails.filter((m) => m.to.includes('carl.gone@example.com'))).toHaveLength(0);
  });
});
