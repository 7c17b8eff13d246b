import type { Module } from '../../context.js';
import { createMentorService, GENERATE_JOB, type GenerateJob } from './service.js';
import { registerMentorRoutes } from './routes.js';
import { mentorRetentionJobs, mentorSchedules } from './retention.js';

export const mentorModule: Module = {
  name: 'mentor',
  service: (ctx) => createMentorService(ctx),
  routes: registerMentorRoutes,
  // One try at the queue level: the provider call has its own retry and a provider failure marks
  // the task failed; only infrastructure errors (database) are retried.
  jobs: (ctx) => {
    ctx.queue.define<GenerateJob>(GENERATE_JOB, (job) => ctx.services.mentor.runJob(job), { attempts: 3, backoffMs: 1000, concurrency: 8 });
    ctx.services.feed.registerInsightCard('mentor', (userId) => ctx.services.mentor.insightCard(userId));
    mentorRetentionJobs(ctx);
  },
  schedules: mentorSchedules,
};
