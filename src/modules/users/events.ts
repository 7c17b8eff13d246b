// The users module's events (written to the outbox in the changing transaction) and its input types.

export interface Tokens {
  token: string;
  refreshToken: string;
}

export interface NewUser {
  email: string;
  password: string | null;
  handle?: string;
  name: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  roles?: string[];
}

export const USER_EVENTS = {
  created: 'user.created',
  followed: 'user.followed',
  unfollowed: 'user.unfollowed',
  deactivated: 'user.deactivated',
  updated: 'user.updated',
} as const;

export interface FollowEvent {
  followerId: number;
  followeeId: number;
}
