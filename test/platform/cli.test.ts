// The real process: `selflink serve` on a fresh DATA_DIR, health, graceful SIGTERM; config errors.
// The DATA_DIR starts with a copy of the suite's migrated database (initdb and the migrations
// themselves run once, in global setup); everything else in it (signing key, uploads) serve creates.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { migratedDataDir, startSelflink } from '../support/process.js';
import { connect } from '../realtime/ws-client.js';


const start = startSelflink;

async function loginToken(base: string, email: string): Promise<string> {
  const r = await fetch(`${base}/api/v1/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'password123' }) });
  return ((await r.json()) as { token: string }).token;
}

describe('selflink CLI', () => {
  it('serves on a fresh DATA_DIR, then shuts down cleanly on SIGTERM', async () => {
    const dataDir = migratedDataDir('selflink-cli-', 'nested/var');
    const p = start({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    const base = await p.listening;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'pglite' });
    const reg = await fetch(`${base}/api/v1/auth/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'cli@example.com', password: 'password123', name: 'Cli' }),
    });
    expect(reg.status).toBe(201);
    const token = (await reg.json()).token as string;
    for (let i = 0; i < 40; i++) expect((await fetch(`${base}/api/v1/users/me/?n=${i}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // Two people in a conversation, both on the gateway when it stops: their presence goes offline
    // (read, written and told to the peer) before the process lets go of its database and store.
    const peer = await fetch(`${base}/api/v1/auth/register/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'cli-peer@example.com', password: 'password123', name: 'Peer' }) });
    const peerId = ((await peer.json()) as { user: { id: number } }).user.id;
    expect((await fetch(`${base}/api/v1/threads/direct/`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ user_id: String(peerId) }) })).status).toBeLessThan(300);
    const ws = base.replace('http://', 'ws://');
    const sockets = await Promise.all([connect(`${ws}/ws?token=${encodeURIComponent(token)}`), connect(`${ws}/ws?token=${encodeURIComponent((await loginToken(base, 'cli-peer@example.com')))}`)]);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await Promise.all(sockets.map((c) => c.closed));
    expect(p.output()).not.toContain('presence update failed');
    expect(p.output()).toContain('"msg":"stopped"');
    expect(p.output()).not.toContain('password123');
    // Access lines go out in batches: every one is written by the time the process has exited, whole.
    const lines = p.output().trim().split('\n').filter((l) => l.startsWith('{'));
    const access = lines.map((l) => JSON.parse(l) as { msg?: string; req?: { url?: string } }).filter((l) => l.msg === 'request completed' && l.req?.url?.startsWith('/api/v1/users/me/'));
    expect(access.map((l) => l.req!.url)).toEqual(Array.from({ length: 40 }, (_, i) => `/api/v1/users/me/?n=${i}`));
    // The signing key and data survive a restart: the token still works.
    const again = start({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    const base2 = await again.listening;
    expect((await fetch(`${base2}/api/v1/users/me/`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 180_000);

  it('refuses to start on a bad setting and names it', async () => {
    const p = start({ PORT: 'eighty', DATA_DIR: os.tmpdir() });
    expect(await p.exited).toBe(78);
    expect(p.output()).toContain('PORT must be an integer');
    const q = start({ DATABASE_URL: 'postgres://127.0.0.1:5432/test' }, ['migrate']);
    expect(await q.exited).toBe(78);
    expect(q.output()).toContain('JWT_SIGNING_KEY is required in server mode');
  }, 120_000); // two process starts: slow on a loaded 2-core machine

  it('prints usage for unknown commands', async () => {
    const p = start({ DATA_DIR: os.tmpdir() }, ['frobnicate']);
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('usage: selflink');
  }, 120_000);
});
