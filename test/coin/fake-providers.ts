// A local HTTP server answering like Stripe (customers, Checkout Sessions, subscriptions) and BTCPay
// Greenfield (invoices): the official SDKs talk real HTTP to it (STRIPE_API_BASE, BTCPAY_BASE_URL).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeProviders {
  server: http.Server;
  base: string;
  sessions: Record<string, string>[];
  customers: { id: string; form: Record<string, string>; idempotencyKey: string | undefined }[];
  /** Stripe subscriptions the API answers for GET /v1/subscriptions/:id (tests set them). */
  subscriptions: Map<string, Record<string, unknown>>;
  cancelled: string[];
  /** Subscription ids whose cancel answers 500. */
  failCancel: Set<string>;
  invoices: Map<string, Record<string, unknown>>;
  btcAuth: string[];
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const f = {
    sessions: [] as Record<string, string>[],
    customers: [] as FakeProviders['customers'],
    subscriptions: new Map<string, Record<string, unknown>>(),
    cancelled: [] as string[],
    failCancel: new Set<string>(),
    invoices: new Map<string, Record<string, unknown>>(),
    btcAuth: [] as string[],
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const send = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const missing = () => send(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such subscription' } });
      const url = req.url ?? '';
      if (req.method === 'POST' && url === '/v1/checkout/sessions') {
        const form = Object.fromEntries(new URLSearchParams(body));
        f.sessions.push(form);
        const id = `cs_test_${f.sessions.length}`;
        return send(200, { id, object: 'checkout.session', mode: form.mode, url: `https://checkout.stripe.test/pay/${id}`, client_reference_id: form.client_reference_id, payment_status: 'unpaid' });
      }
      if (req.method === 'POST' && url === '/v1/customers') {
        const key = req.headers['idempotency-key'] as string | undefined;
        // Stripe answers a repeated idempotency key with the first result.
        const prior = key ? f.customers.find((c) => c.idempotencyKey === key) : undefined;
        const form = Object.fromEntries(new URLSearchParams(body));
        const c = prior ?? { id: `cus_test_${f.customers.length + 1}`, form, idempotencyKey: key };
        if (!prior) f.customers.push(c);
        return send(200, { id: c.id, object: 'customer', email: c.form.email });
      }
      const sub = /^\/v1\/subscriptions\/([\w-]+)$/.exec(url);
      if (sub) {
        const s = f.subscriptions.get(sub[1]);
        if (!s) return missing();
        if (req.method === 'GET') return send(200, s);
        if (req.method === 'DELETE') {
          if (f.failCancel.has(sub[1])) return send(500, { error: { type: 'api_error', message: 'boom' } });
          f.cancelled.push(sub[1]);
          s.status = 'canceled';
          return send(200, s);
        }
      }
      const m = /^\/api\/v1\/stores\/store1\/invoices(?:\/([\w-]+))?$/.exec(url);
      if (m) {
        f.btcAuth.push(String(req.headers.authorization));
        if (req.method === 'POST') {
          const b = JSON.parse(body);
          const id = `inv_${f.invoices.size + 1}`;
          f.invoices.set(id, { id, amount: b.amount, currency: b.currency, status: 'New', metadata: b.metadata, checkoutLink: `https://btcpay.test/i/${id}` });
          return send(200, f.invoices.get(id));
        }
        const inv = f.invoices.get(m[1] ?? '');
        return inv ? send(200, inv) : send(404, { code: 'invoice-not-found' });
      }
      send(404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { ...f, server, base, close: () => new Promise<void>((r) => server.close(() => r())) };
}
