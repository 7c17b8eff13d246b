// Registers the realtime publisher as ctx.services.realtime and closes live sockets when
// sessions end (logout, password change, suspension).
import type { Module } from '../context.js';
import { createRealtimeService } from './service.js';

export const SESSION_REVOKED = 'session.revoked';

export interface SessionRevokedEvent {
  userId: number;
  /** Absent: every session of the user. */
  sid?: number;
}

export const realtimeModule: Module = {
  name: 'realtime',
  service: (ctx) => {
    const service = createRealtimeService(ctx);
    ctx.events.on<SessionRevokedEvent>(SESSION_REVOKED, (e) => service.killSessions(e.userId, e.sid));
    return service;
  },
};
