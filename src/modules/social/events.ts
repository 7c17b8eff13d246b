// The social module's events (written to the outbox in the changing transaction) and their payloads.
import type { Visibility } from './schema.js';

export const SOCIAL_EVENTS = {
  postCreated: 'post.created',
  postUpdated: 'post.updated',
  postDeleted: 'post.deleted',
  postLiked: 'post.liked',
  commentCreated: 'comment.created',
  commentDeleted: 'comment.deleted',
  commentLiked: 'comment.liked',
} as const;

export interface PostCreatedEvent { postId: number; authorId: number; text: string; visibility: Visibility }
export interface PostUpdatedEvent { postId: number; authorId: number; text: string }
export interface PostDeletedEvent { postId: number; authorId: number }
export interface PostLikedEvent { postId: number; userId: number; authorId: number }
export interface CommentCreatedEvent { commentId: number; postId: number; authorId: number; postAuthorId: number; parentAuthorId: number | null; text: string; visibility: Visibility }
export interface CommentDeletedEvent { commentId: number; postId: number; authorId: number }
export interface CommentLikedEvent { commentId: number; userId: number; authorId: number }
