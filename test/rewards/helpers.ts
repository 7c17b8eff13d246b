// Signed GitHub deliveries and command runs for the rewards tests.
import { createHmac, randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type { TestApp } from '../support/app.js';
import { commands } from '../../src/commands/index.js';

export const SECRET = 'whsec-test-0123456789';

export const sign = (body: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export function prPayload(o: { login: string; number: number; repo?: string; labels?: string[]; mergedAt?: string; merged?: boolean; action?: string; title?: string }) {
  return {
    action: o.action ?? 'closed',
    number: o.number,
    pull_request: {
      id: 900000 + o.number,
      number: o.number,
      title: o.title ?? `PR ${o.number}`,
      html_url: `https://github.com/${o.repo ?? 'selflink/backend'}/pull/${o.number}`,
      merged: o.merged ?? true,
      merged_at: o.mergedAt ?? new Date().toISOString(),
      user: { login: o.login },
      labels: (o.labels ?? []).map((name) => ({ name })),
    },
    repository: { full_name: o.repo ?? 'selflink/backend' },
    sender: { login: 'the-merger' },
  };
}

export function deliver(t: TestApp, payload: unknown, opts: { event?: string; delivery?: string; signature?: string | null; raw?: string } = {}) {
  const body = opts.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': opts.event ?? 'pull_request', 'x-github-delivery': opts.delivery ?? randomUUID() };
  if (opts.signature !== null) headers['x-hub-signature-256'] = opts.signature ?? sign(body);
  return t.request({ method: 'POST', url: '/api/v1/rewards/webhooks/github/', headers, payload: body });
}

/** Runs an admin command in-process and returns its exit code and output. */
export async function runCommand(t: TestApp, name: string, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = (await commands[name].run(t.ctx, args)) ?? 0;
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
