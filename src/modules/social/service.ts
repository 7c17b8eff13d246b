// The social module's rules: posts, likes and comments with exact counters, visibility everywhere,
// and the read API the feed, search, moderation and realtime modules build on.
// The one service object other modules see; the work is split by concern into posts.ts, comments.ts and likes.ts.
import type { Ctx } from '../../context.js';
import type { Viewer } from '../users/present.js';
import type { CommentRow, PostRow } from './schema.js';
import { createSocialPresenter } from './present.js';
import { createPosts } from './posts.js';
import { createComments } from './comments.js';
import { createLikes } from './likes.js';

export * from './events.js';
export { postTag } from './page-tags.js';
export { MAX_IMAGES, POST_TEXT_MAX, COMMENT_TEXT_MAX, type NewPost, type NewComment, type LikeState } from './rules.js';

export function createSocialService(ctx: Ctx) {
  const presenter = createSocialPresenter(ctx);
  const posts = createPosts(ctx);
  const comments = createComments(ctx, posts);
  const likes = createLikes(ctx, posts, comments);
  const { getPost, canViewPost, getVisiblePostsByIds, listRecentVisible, postExists, getPostOwner, hidePost, removePost, visiblePostOr404, createPost, updatePost, deletePost } = posts;
  const { getComment, canViewComment, commentExists, getCommentOwner, hideComment, deleteComment, getVisibleCommentOr404, listComments, createComment, updateComment } = comments;
  const { likePost, unlikePost, likeComment, unlikeComment } = likes;

  return {
    // reads and visibility (used by feed, search, moderation, realtime)
    getPost,
    getCommentForViewer: getComment,
    canViewPost,
    canViewComment,
    getVisiblePostsByIds,
    listRecentVisible,
    postExists,
    commentExists,
    getPostOwner,
    getCommentOwner,
    presentPosts: (viewer: Viewer | null, rows: PostRow[], origin: string) => presenter.presentPosts(viewer, rows, origin),
    presentComments: (viewer: Viewer | null, rows: CommentRow[], origin: string) => presenter.presentComments(viewer, rows, origin),
    // moderation
    hidePost,
    hideComment,
    removePost,
    removeComment: (id: number) => deleteComment(null, id),
    // writes (routes)
    visiblePostOr404,
    getVisibleCommentOr404,
    createPost,
    updatePost,
    deletePost,
    likePost,
    unlikePost,
    listComments,
    createComment,
    updateComment,
    deleteComment: (userId: number, id: number) => deleteComment(userId, id),
    likeComment,
    unlikeComment,
  };
}

export type SocialService = ReturnType<typeof createSocialService>;
