// Background jobs: the delayed "still unread?" check behind new-message notifications.
import type { Ctx } from '../../context.js';
import { MESSAGING_EVENTS, REMINDER_JOB, type MessageCreatedEvent, type ReminderJob } from './events.js';

export function defineMessagingJobs(ctx: Ctx) {
  ctx.queue.define<ReminderJob>(REMINDER_JOB, (job) => ctx.services.messaging.remindIfUnread(job), { attempts: 3, backoffMs: 1000 });
  ctx.events.onBatch<MessageCreatedEvent>(MESSAGING_EVENTS.created, (events) => ctx.services.messaging.scheduleReminders(events), { afterResponse: true });
  // Messages can be reported: moderation checks the target through us.
  ctx.services.moderation.registerTarget('message', {
    exists: async (id) => (await ctx.services.messaging.senderOf(id)) !== null,
    ownerId: (id) => ctx.services.messaging.senderOf(id),
    // Only thread members can see (and so report) a message.
    visibleTo: (viewerId, id) =>
      ctx.services.messaging.messageForMember(id, viewerId).then(
        () => true,
        () => false,
      ),
    setHidden: (id, hidden) => ctx.services.messaging.hideMessage(id, hidden),
  });
}
