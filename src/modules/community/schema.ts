// Community: open problems, their contribution agreements, work marks, artifacts, comments, likes
// and an activity log per problem.
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';

const problemRef = () =>
  refColumn('problem_id')
    .notNull()
    .references(() => communityProblems.id, { onDelete: 'cascade' });

export const communityProblems = pgTable(
  'community_problems',
  {
    id: idColumn(),
    title: varchar('title', { length: 200 }).notNull(),
    description: text('description').notNull().default(''),
    status: varchar('status', { length: 32 }).notNull().default('open'),
    isActive: boolean('is_active').notNull().default(true),
    viewsCount: integer('views_count').notNull().default(0),
    lastActivityAt: tsColumn('last_activity_at'),
    createdBy: refColumn('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('community_problems_created_idx').on(t.createdAt, t.id), index('community_problems_status_idx').on(t.status)],
);

export const communityAgreements = pgTable(
  'community_agreements',
  {
    id: idColumn(),
    problemId: problemRef(),
    licenseSpdx: varchar('license_spdx', { length: 32 }).notNull().default('MIT'),
    version: varchar('version', { length: 16 }).notNull().default('1.0'),
    text: text('text').notNull(),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
  },
  // At most one active agreement per problem.
  (t) => [uniqueIndex('community_agreements_active_uq').on(t.problemId).where(sql`${t.isActive}`)],
);

export const communityAcceptances = pgTable(
  'community_acceptances',
  {
    id: idColumn(),
    problemId: problemRef(),
    agreementId: refColumn('agreement_id')
      .notNull()
      .references(() => communityAgreements.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull(),
    acceptedAt: createdAt(),
  },
  (t) => [uniqueIndex('community_acceptances_uq').on(t.userId, t.agreementId)],
);

export const communityWork = pgTable(
  'community_work',
  {
    id: idColumn(),
    problemId: problemRef(),
    userId: refColumn('user_id').notNull(),
    status: varchar('status', { length: 32 }).notNull().default('marked'),
    note: text('note').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('community_work_uq').on(t.problemId, t.userId)],
);

export const communityArtifacts = pgTable(
  'community_artifacts',
  {
    id: idColumn(),
    problemId: problemRef(),
    userId: refColumn('user_id').notNull(),
    title: varchar('title', { length: 200 }).notNull(),
    description: text('description').notNull().default(''),
    url: varchar('url', { length: 2000 }).notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [index('community_artifacts_problem_idx').on(t.problemId, t.createdAt)],
);

export const communityComments = pgTable(
  'community_comments',
  {
    id: idColumn(),
    problemId: problemRef(),
    userId: refColumn('user_id').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('community_comments_problem_idx').on(t.problemId, t.createdAt)],
);

export const communityArtifactComments = pgTable(
  'community_artifact_comments',
  {
    id: idColumn(),
    artifactId: refColumn('artifact_id')
      .notNull()
      .references(() => communityArtifacts.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('community_artifact_comments_idx').on(t.artifactId, t.createdAt)],
);

export const communityProblemLikes = pgTable(
  'community_problem_likes',
  {
    id: idColumn(),
    problemId: problemRef(),
    userId: refColumn('user_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('community_problem_likes_uq').on(t.problemId, t.userId)],
);

export const communityCommentLikes = pgTable(
  'community_comment_likes',
  {
    id: idColumn(),
    commentId: refColumn('comment_id')
      .notNull()
      .references(() => communityComments.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('community_comment_likes_uq').on(t.commentId, t.userId)],
);

export const communityEvents = pgTable(
  'community_events',
  {
    id: idColumn(),
    problemId: problemRef(),
    actorId: refColumn('actor_id'),
    type: varchar('type', { length: 64 }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('community_events_problem_idx').on(t.problemId, t.createdAt), index('community_events_type_idx').on(t.type, t.createdAt)],
);

export type ProblemRow = typeof communityProblems.$inferSelect;
export type AgreementRow = typeof communityAgreements.$inferSelect;
export type ArtifactRow = typeof communityArtifacts.$inferSelect;
