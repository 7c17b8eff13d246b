import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { inQuietHours, parseMentions, preview } from '../../src/modules/notifications/delivery.js';
import { logProviders } from '../../src/modules/notifications/providers.js';
import { createLogger } from '../../src/platform/log.js';

const at = (hhmm: string) => new Date(`2026-01-01T${hhmm}:00Z`);

describe('quiet hours (UTC)', () => {
  it.each([
    [{ start: '22:00', end: '07:00' }, '23:30', true],
    [{ start: '22:00', end: '07:00' }, '03:00', true],
    [{ start: '22:00', end: '07:00' }, '07:00', false],
    [{ start: '22:00', end: '07:00' }, '12:00', false],
    [{ start: '09:00', end: '17:00' }, '09:00', true],
    [{ start: '09:00', end: '17:00' }, '17:00', false],
    [{ start: '09:00', end: '09:00' }, '09:00', false],
    [{ start: '25:00', end: '07:00' }, '03:00', false],
    [{}, '03:00', false],
    [null, '03:00', false],
  ])('%j at %s → %s', (q, time, expected) => {
    expect(inQuietHours(q, at(time))).toBe(expected);
  });
});

describe('mentions and previews', () => {
  it('finds @handles, lower-cased and unique, ignoring e-mail addresses', () => {
    expect(parseMentions('Hi @Nino and @nino, @bob_1! write me@example.com or @@x')).toEqual(['nino', 'bob_1']);
    expect(parseMentions(undefined)).toEqual([]);
    expect(parseMentions(Array.from({ length: 20 }, (_, i) => `@u${i}`).join(' '))).toHaveLength(10);
  });

  it('previews collapse whitespace and cut at 140 characters', () => {
    expect(preview('  a \n b  ')).toBe('a b');
    expect(preview('y'.repeat(141))).toBe('y'.repeat(137) + '...');
    expect(preview(null)).toBe('');
  });
});

describe('default providers', () => {
  it('log a structured line without the push token or e-mail address', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const p = logProviders(createLogger('info', sink));
    await p.push.send({ userId: 1, deviceId: 2, deviceType: 'ios', pushToken: 'SECRET-PUSH-TOKEN', notificationId: 3, type: 'follow', title: 't', body: 'b', data: {} });
    await p.email.send({ userId: 1, to: 'private@example.com', notificationId: 3, type: 'message', subject: 's', text: 't' });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ channel: 'push', userId: 1, deviceId: 2, notificationId: 3 });
    expect(lines[0].tokenFp).toMatch(/^[0-9a-f]{12}$/);
    expect(lines[1]).toMatchObject({ channel: 'email', userId: 1 });
    expect(out).not.toContain('SECRET-PUSH-TOKEN');
    expect(out).not.toContain('private@example.com');
  });
});
