// The messaging module's rules: threads (direct and group), memberships and read pointers,
// idempotent sends, reactions, delivery status, typing state. Realtime events and domain events
// are published only after the database commit.
// The one service object other modules see; the work is split by concern into threads.ts, messages.ts,
// receipts.ts and typing.ts.
import type { Ctx } from '../../context.js';
import type { Viewer } from '../users/present.js';
import type { MessageRow, ThreadRow } from './schema.js';
import { createMessagingPresenter } from './present.js';
import { createThreads, peerPairsSql } from './threads.js';
import { createMessages } from './messages.js';
import { createReceipts } from './receipts.js';
import { createTyping } from './typing.js';

export { MAX_BODY, parseId, type SendInput } from './messages.js';
export { TYPING_TTL_MS } from './typing.js';

export function createMessagingService(ctx: Ctx) {
  const presenter = createMessagingPresenter(ctx);
  const threadOps = createThreads(ctx, (threadId, senderId, input) => messageOps.send(threadId, senderId, input));
  const messageOps = createMessages(ctx, threadOps, presenter);
  const { markRead, ack } = createReceipts(ctx, threadOps, messageOps);
  const { setTyping, typingUserIds } = createTyping(ctx, threadOps);
  const { threadForMember, memberIds, listThreads, getOrCreateDirect, createThread, leave, peerIds, peersAmong } = threadOps;
  const { messageForMember, listMessages, sync, send, remindIfUnread, scheduleReminders, toggleReaction, edit, remove, hideMessage, senderOf, canReadAttachment } = messageOps;

  const presentMessages = (viewer: Viewer | null, rows: MessageRow[], origin?: string) => presenter.presentMessages(viewer, rows, { origin });
  const presentThreads = (viewer: Viewer, rows: ThreadRow[], origin?: string) => presenter.presentThreads(viewer, rows, { origin });

  return {
    canReadAttachment,
    peersAmong,
    peerPairsSql,
    hideMessage,
    peerIds,
    senderOf,
    threadForMember,
    memberIds,
    listThreads,
    getOrCreateDirect,
    createThread,
    leave,
    markRead,
    setTyping,
    typingUserIds,
    messageForMember,
    listMessages,
    sync,
    send,
    remindIfUnread,
    scheduleReminders,
    toggleReaction,
    ack,
    edit,
    remove,
    presentMessages,
    presentThreads,
  };
}

export type MessagingService = ReturnType<typeof createMessagingService>;
