// Moderation's vocabulary: target types, report statuses, enforcement actions and the interfaces the
// other modules (target resolvers) and the routes (moderator, actor) meet it through.
export const TARGET_TYPES = ['user', 'post', 'comment', 'message'] as const;
export const REPORT_STATUSES = ['open', 'in_review', 'resolved', 'dismissed'] as const;
export const ENFORCEMENT_ACTIONS = ['warn', 'suspend', 'ban', 'hide', 'remove'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export type EnforcementAction = (typeof ENFORCEMENT_ACTIONS)[number];

export const MODERATION_JOBS = { autoflag: 'moderation.autoflag', expire: 'moderation.expire-enforcements' } as const;
export const AUTO_FLAG_REASON = 'auto_flag:banned_word';
export const PENDING: ReportStatus[] = ['open', 'in_review'];
export const RESTRICTING: EnforcementAction[] = ['suspend', 'ban'];
/**
 * Take-downs of content: `hide` and `remove` both take the post, comment or message away from
 * everyone but its author and staff, reversibly (lifting restores it); `remove` is the stronger
 * verdict in the record, the content is kept so that an appeal can restore it.
 */
export const TAKEDOWN: EnforcementAction[] = ['hide', 'remove'];

/** How moderation checks a report target; other modules register theirs (post, comment, message). */
export interface TargetResolver {
  exists(id: number): Promise<boolean>;
  ownerId(id: number): Promise<number | null>;
  /** Whether `viewerId` may see the target (reports on what one cannot see are refused alike). */
  visibleTo?(viewerId: number, id: number): Promise<boolean>;
  /** Takes the content down (hidden) or restores it; false when it no longer exists. */
  setHidden?(id: number, hidden: boolean): Promise<boolean>;
}

export interface Moderator {
  id: number;
  isStaff: boolean;
  isSuperuser?: boolean;
  roles?: string[];
}

/** Who did it, for the audit log. */
export interface Actor {
  id: number;
  ip?: string | null;
}
