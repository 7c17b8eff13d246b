// Limits, inputs and not-found errors shared by posts, comments and likes.
import { fieldError } from '../../platform/http/errors.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import type { Visibility } from './schema.js';
import { SocialErrors } from './errors.js';

export const MAX_IMAGES = 4;
export const POST_TEXT_MAX = 10_000;
export const COMMENT_TEXT_MAX = 5_000;

export interface NewPost {
  text: string;
  visibility?: Visibility;
  language?: string;
  mediaIds?: number[];
  images?: UploadedFile[];
  video?: UploadedFile | null;
}

export interface NewComment {
  postId: number;
  text: string;
  parentId?: number | null;
  images?: UploadedFile[];
}

export interface LikeState {
  liked: boolean;
  like_count: number;
}

export const postNotFound = () => SocialErrors.postNotFound();
export const commentNotFound = () => SocialErrors.commentNotFound();
export const invalidPk = (field: string, id: number) => fieldError(field, `Invalid pk "${id}" - object does not exist.`);
