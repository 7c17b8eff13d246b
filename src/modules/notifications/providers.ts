// Delivery channels. The defaults only write a structured log line; real providers (FCM/APNs,
// an e-mail service) implement the same interfaces and are installed with `useProviders`.
import { createHash } from 'node:crypto';
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

export interface PushProvider {
  send(msg: PushMessage): Promise<void>;
}

export interface EmailProvider {
  send(msg: EmailMessage): Promise<void>;
}

export interface Providers {
  push: PushProvider;
  email: EmailProvider;
}

/** A short, stable fingerprint so log lines can be correlated without exposing the secret. */
const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export function logProviders(log: Logger): Providers {
  return {
    push: {
      async send(m) {
        log.info(
          { channel: 'push', userId: m.userId, deviceId: m.deviceId, deviceType: m.deviceType, tokenFp: fingerprint(m.pushToken), notificationId: m.notificationId, type: m.type },
          'push notification sent',
        );
      },
    },
    email: {
      async send(m) {
        log.info({ channel: 'email', userId: m.userId, toFp: fingerprint(m.to.toLowerCase()), notificationId: m.notificationId, type: m.type }, 'e-mail notification sent');
      },
    },
  };
}
