// Push devices: the read the notifications module delivers with, and pruning of dead tokens (the
// device routes register them). Part of the one users service (service.ts).
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { devices } from './schema.js';

export function createDevices(ctx: Ctx) {
  const db = () => ctx.db;

  /** Read-only: a user's push devices (the notifications module delivers to each). */
  async function listDevices(userId: number) {
    return listDevicesOf([userId]);
  }

  /** Read-only: the push devices of several users in one query (a batch of notifications). */
  async function listDevicesOf(userIds: number[]) {
    if (!userIds.length) return [];
    return db().select().from(devices).where(inArray(devices.userId, userIds)).orderBy(desc(devices.createdAt), desc(devices.id));
  }

  /**
   * Removes a device whose push token the push service reports as no longer registered. The token
   * must still match: a token re-registered meanwhile (it moves between accounts) is kept.
   */
  async function pruneDevice(deviceId: number, pushToken: string): Promise<boolean> {
    const gone = await db().delete(devices).where(and(eq(devices.id, deviceId), eq(devices.pushToken, pushToken))).returning({ id: devices.id });
    return gone.length > 0;
  }

  return { listDevices, listDevicesOf, pruneDevice };
}
