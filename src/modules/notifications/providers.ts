// Delivery channels behind two small interfaces. `logProviders` only writes a structured line
// (embedded default); `expoPushProvider` speaks the Expo push service's HTTP API and
// `smtpEmailProvider` sends over SMTP with nodemailer. `providersFromConfig` picks them.
//
// Errors: a provider throws to have the queue retry the job with backoff (network errors, 5xx,
// 429, temporary SMTP failures) and throws `PermanentDeliveryError` for what a retry cannot fix
// (a message Expo refuses, a 5xx SMTP reply); the job logs those and stops.
import { createHash } from 'node:crypto';
import type { ExpoPushMessage, ExpoPushReceipt, ExpoPushTicket } from 'expo-server-sdk';
import type { Config } from '../../config.js';
import type { Logger } from '../../platform/log.js';

export interface PushMessage {
  userId: number;
  deviceId: number;
  deviceType: string;
  /** The device's push token: for the provider only, never logged. */
  pushToken: string;
  notificationId: number;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

export interface EmailMessage {
  userId: number;
  to: string;
  notificationId: number;
  type: string;
  subject: string;
  text: string;
}

/** What became of one push: accepted (with a ticket to check later), or the token is dead. */
export type PushResult = { status: 'sent'; ticketId?: string } | { status: 'invalid_token' };

/** A receipt: delivered, the token is dead, another failure, or not known yet (ask again later). */
export type ReceiptStatus = 'ok' | 'invalid_token' | 'error' | 'pending';

export interface PushProvider {
  send(msg: PushMessage): Promise<PushResult | void>;
  /** Delivery receipts for tickets returned by `send` (providers without receipts omit it). */
  receipts?(ticketIds: string[]): Promise<Record<string, ReceiptStatus>>;
}

export interface EmailProvider {
  send(msg: EmailMessage): Promise<void>;
  close?(): Promise<void>;
}

export interface Providers {
  push: PushProvider;
  email: EmailProvider;
}

/** A failure a retry cannot fix: logged, never retried. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

/** A short, stable fingerprint so log lines can be correlated without exposing the secret. */
export const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export function logProviders(log: Logger): Providers {
  return {
    push: {
      async send(m) {
        log.info(
          { channel: 'push', userId: m.userId, deviceId: m.deviceId, deviceType: m.deviceType, tokenFp: fingerprint(m.pushToken), notificationId: m.notificationId, type: m.type },
          'push notification sent',
        );
        return { status: 'sent' };
      },
    },
    email: {
      async send(m) {
        log.info({ channel: 'email', userId: m.userId, toFp: fingerprint(m.to.toLowerCase()), notificationId: m.notificationId, type: m.type }, 'e-mail notification sent');
      },
    },
  };
}

// ---- Expo push ---------------------------------------------------------------------------------
//
// Why not ExpoClient.sendPushNotificationsAsync: expo-server-sdk (v6) builds its endpoints from the
// process-wide EXPO_BASE_URL variable, read once when the module loads, and appends fixed paths;
// it cannot take the full send URL (EXPO_PUSH_URL) nor two configurations in one process. The
// protocol is one JSON POST, so we make it here and use the SDK's types for the wire shapes; the
// queue supplies retries with backoff (the SDK's own retry covers only 429).

const TIMEOUT_MS = 15_000;

async function postJson(url: string, body: unknown, accessToken: string | null): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`push service unreachable: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (res.status === 429 || res.status >= 500) throw new Error(`push service answered ${res.status}`);
  let json: { data?: unknown; errors?: { code?: string; message?: string }[] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`push service answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok || json.errors?.length) {
    const first = json.errors?.[0];
    throw new PermanentDeliveryError(`push service refused the request (${res.status} ${first?.code ?? ''}: ${first?.message ?? ''})`.slice(0, 300));
  }
  return json.data;
}

const isDeadToken = (r: { details?: { error?: string } }) => r.details?.error === 'DeviceNotRegistered';

export function expoPushProvider(cfg: Config['delivery']['push']): PushProvider {
  return {
    async send(m) {
      const message: ExpoPushMessage = { to: m.pushToken, title: m.title, body: m.body, data: m.data, sound: 'default', priority: 'high' };
      const data = await postJson(cfg.sendUrl, [message], cfg.accessToken);
      const ticket = (Array.isArray(data) ? data[0] : data) as ExpoPushTicket | undefined;
      if (!ticket || typeof ticket !== 'object') throw new Error('push service answered without a ticket');
      if (ticket.status === 'ok') return { status: 'sent', ticketId: ticket.id };
      if (isDeadToken(ticket)) return { status: 'invalid_token' };
      // MessageRateExceeded is worth another try later; MessageTooBig, credentials errors are not.
      if (ticket.details?.error === 'MessageRateExceeded') throw new Error('push service: MessageRateExceeded');
      throw new PermanentDeliveryError(`push refused: ${ticket.details?.error ?? ticket.message ?? 'unknown error'}`.slice(0, 300));
    },
    async receipts(ids) {
      const data = (await postJson(cfg.receiptsUrl, { ids }, cfg.accessToken)) as Record<string, ExpoPushReceipt> | undefined;
      const out: Record<string, ReceiptStatus> = {};
      for (const id of ids) {
        const r = data?.[id];
        out[id] = !r ? 'pending' : r.status === 'ok' ? 'ok' : isDeadToken(r) ? 'invalid_token' : 'error';
      }
      return out;
    },
  };
}

// ---- SMTP ----------------------------------------------------------------------------------------

export function smtpEmailProvider(cfg: { smtpUrl: string; from: string }): EmailProvider {
  let transport: import('nodemailer').Transporter | null = null;
  const get = async () => {
    if (!transport) {
      const nodemailer = await import('nodemailer');
      transport = nodemailer.createTransport(cfg.smtpUrl);
    }
    return transport;
  };
  return {
    async send(m) {
      try {
        await (await get()).sendMail({ from: cfg.from, to: m.to, subject: m.subject, text: m.text });
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        // 5xx replies are final (unknown mailbox, policy); 4xx and connection errors are retried.
        if (typeof code === 'number' && code >= 500) throw new PermanentDeliveryError(`SMTP refused the message (${code})`);
        throw new Error(`SMTP delivery failed${code ? ` (${code})` : ''}: ${(err as Error).message}`.slice(0, 300));
      }
    },
    async close() {
      transport?.close();
      transport = null;
    },
  };
}

/** Expo push when PUSH_BACKEND=expo (the default once EXPO_PUSH_URL is set), SMTP when SMTP_URL is set. */
export function providersFromConfig(config: Config, log: Logger): Providers {
  const fallback = logProviders(log);
  const { push, email } = config.delivery;
  return {
    push: push.backend === 'expo' ? expoPushProvider(push) : fallback.push,
    email: email.smtpUrl ? smtpEmailProvider({ smtpUrl: email.smtpUrl, from: email.from }) : fallback.email,
  };
}
