// Limits, inputs and not-found errors shared by posts, comments and likes.
import { fieldError, notFound } from '../../platform/http/errors.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import type { Visibility } from './schema.js';

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

export const postNotFound = () => notFound('No Post matches the given query.');
export const commentNotFound = () => notFound('No Comment matches the given query.');
export const invalidPk = (field: string, id: number) => fieldError(field, `Invalid pk "${id}" - object does not exist.`);
