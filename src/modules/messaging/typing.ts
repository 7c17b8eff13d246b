// Typing state: ephemeral (a ctx.kv hash with a TTL, never PostgreSQL), announced to the other members.
// Part of the one messaging service (service.ts).
import type { Ctx } from '../../context.js';
import { typingFrame } from './events.js';
import type { Threads } from './threads.js';

export const TYPING_TTL_MS = 7000;
export const typingKey = (threadId: number) => `typing:thread:${threadId}`;

export function createTyping(ctx: Ctx, threadOps: Threads) {
  const rt = () => ctx.services.realtime;
  const { threadForMember, memberIds } = threadOps;

  async function setTyping(threadId: number, user: { id: number; name: string; handle: string }, isTyping: boolean) {
    await threadForMember(threadId, user.id);
    if (isTyping) await ctx.kv.hashSet(typingKey(threadId), String(user.id), String(Date.now()), TYPING_TTL_MS);
    else await ctx.kv.hashDel(typingKey(threadId), String(user.id));
    const others = (await memberIds(threadId)).filter((id) => id !== user.id);
    await rt().publishToUsers(others, typingFrame({ threadId, userId: user.id, name: user.name || null, handle: user.handle || null, isTyping }));
  }

  async function typingUserIds(threadId: number, viewerId: number): Promise<number[]> {
    await threadForMember(threadId, viewerId);
    const entries = await ctx.kv.hashGetAll(typingKey(threadId));
    const fresh = Date.now() - TYPING_TTL_MS;
    const ids = Object.entries(entries)
      .filter(([, at]) => Number(at) >= fresh)
      .map(([id]) => Number(id))
      .filter((id) => id !== viewerId);
    if (!ids.length) return [];
    const members = new Set(await memberIds(threadId));
    return ids.filter((id) => members.has(id)).sort((a, b) => a - b);
  }

  return {
    setTyping,
    typingUserIds,
  };
}

export type Typing = ReturnType<typeof createTyping>;
