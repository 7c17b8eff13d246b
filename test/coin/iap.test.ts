// In-app purchases verified for real: an App Store signed transaction (JWS, ES256, x5c chain)
// from a CA this test makes with openssl, and Google Play through a local verification endpoint.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactSign } from 'jose';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { balanceOf, coinEnv } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-iap-'));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function makeCa(prefix: string) {
  const ext = path.join(dir, 'ext.cnf');
  fs.writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  const key = (n: string) => ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${prefix}${n}.key`);
  key('root');
  ssl('req', '-x509', '-new', '-key', `${prefix}root.key`, '-subj', `/CN=${prefix}Root`, '-days', '30', '-out', `${prefix}root.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  key('int');
  ssl('req', '-new', '-key', `${prefix}int.key`, '-subj', `/CN=${prefix}Intermediate`, '-out', `${prefix}int.csr`);
  ssl('x509', '-req', '-in', `${prefix}int.csr`, '-CA', `${prefix}root.pem`, '-CAkey', `${prefix}root.key`, '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', `${prefix}int.pem`);
  key('leaf');
  ssl('req', '-new', '-key', `${prefix}leaf.key`, '-subj', `/CN=${prefix}Leaf`, '-out', `${prefix}leaf.csr`);
  ssl('x509', '-req', '-in', `${prefix}leaf.csr`, '-CA', `${prefix}int.pem`, '-CAkey', `${prefix}int.key`, '-CAcreateserial', '-days', '30', '-out', `${prefix}leaf.pem`);
  const der = (n: string) => ssl('x509', '-in', `${prefix}${n}.pem`, '-outform', 'DER').toString('base64');
  return { rootPath: path.join(dir, `${prefix}root.pem`), x5c: [der('leaf'), der('int'), der('root')], leafKey: createPrivateKey(fs.readFileSync(path.join(dir, `${prefix}leaf.key`))) };
}

const good = makeCa('a');
const rogue = makeCa('b');

async function signed(ca: ReturnType<typeof makeCa>, payload: Record<string, unknown>) {
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', x5c: ca.x5c }).sign(ca.leafKey);
}

let t: TestApp;
let alice: TestUser;
let google: http.Server;
const purchases = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  google = http.createServer((req, res) => {
    const m = /\/applications\/com\.selflink\.app\/purchases\/products\/([^/]+)\/tokens\/([^/]+)$/.exec(req.url ?? '');
    const p = m && purchases.get(decodeURIComponent(m[2]));
    res.writeHead(p ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(p ?? { error: 'not found' }));
  });
  await new Promise<void>((r) => google.listen(0, '127.0.0.1', r));
  t = await createTestApp(
    coinEnv({
      PAYMENTS_PROVIDER_ENABLED_IAP: 'true',
      IAP_APPLE_ROOT_CERT_PATH: good.rootPath,
      IAP_APPLE_BUNDLE_ID: 'com.selflink.app',
      IAP_GOOGLE_VERIFY_URL: `http://127.0.0.1:${(google.address() as AddressInfo).port}`,
    }),
  );
  alice = await t.user();
});
afterAll(async () => {
  await t?.close();
  google?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const verify = (u: TestUser, body: Record<string, unknown>) => u.req({ method: 'POST', url: '/api/v1/payments/iap/verify/', body });

describe('Apple', () => {
  it('mints once for a transaction signed under the configured root', async () => {
    const receipt = await signed(good, { transactionId: '2000001', productId: 'com.selflink.slc.499', bundleId: 'com.selflink.app', type: 'Consumable' });
    const body = { platform: 'ios', product_id: 'com.selflink.slc.499', transaction_id: '2000001', receipt };
    const a = await verify(alice, body);
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ received: true, provider: 'apple_iap', provider_event_id: '2000001', balance_cents: 499, currency: 'USD' });
    const b = await verify(alice, body);
    expect(b.statusCode).toBe(200);
    expect(b.json().coin_event_id).toBe(a.json().coin_event_id);
    expect(await balanceOf(alice)).toBe(499);
  });

  it('refuses a chain from another CA, a tampered payload, a wrong product and missing fields', async () => {
    const payload = { transactionId: '2000002', productId: 'com.selflink.slc.999', bundleId: 'com.selflink.app' };
    const base = { platform: 'ios', product_id: 'com.selflink.slc.999', transaction_id: '2000002' };
    expect((await verify(alice, { ...base, receipt: await signed(rogue, payload) })).statusCode).toBe(400);
    const jws = await signed(good, payload);
    const [h, , s] = jws.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, productId: 'com.selflink.slc.999', transactionId: '2000003' })).toString('base64url')}.${s}`;
    expect((await verify(alice, { ...base, transaction_id: '2000003', receipt: forged })).statusCode).toBe(400);
    expect((await verify(alice, { ...base, product_id: 'com.selflink.slc.499', receipt: jws })).statusCode).toBe(400);
    expect((await verify(alice, { ...base, receipt: 'garbage' })).statusCode).toBe(400);
    expect((await verify(alice, { ...base })).json()).toEqual({ receipt: ['This field is required.'] });
    expect((await verify(alice, { ...base, product_id: 'com.unknown', receipt: jws })).json()).toEqual({ detail: 'Unknown product_id.' });
    expect(await balanceOf(alice)).toBe(499);
  });
});

describe('Google', () => {
  it('mints a purchased token once, answers 409 while pending', async () => {
    const u = await t.user();
    purchases.set('tok-pending', { purchaseState: 2, orderId: 'GPA.1' });
    purchases.set('tok-ok', { purchaseState: 0, orderId: 'GPA.2' });
    const body = { platform: 'android', product_id: 'com.selflink.slc.999', transaction_id: 'GPA.2' };
    expect((await verify(u, { ...body, purchase_token: 'tok-pending' })).statusCode).toBe(409);
    expect((await verify(u, { ...body, purchase_token: 'tok-unknown' })).statusCode).toBe(400);
    expect((await verify(u, body)).json()).toEqual({ purchase_token: ['This field is required.'] });
    const a = await verify(u, { ...body, purchase_token: 'tok-ok' });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ provider: 'google_iap', provider_event_id: 'GPA.2', balance_cents: 999 });
    expect((await verify(u, { ...body, purchase_token: 'tok-ok' })).statusCode).toBe(200);
    expect(await balanceOf(u)).toBe(999);
  });
});
