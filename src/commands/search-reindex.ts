// search-reindex: rebuilds the search index from the users and social services.
import type { Command } from './index.js';

export const searchReindex: Command = {
  help: 'Rebuild the search index (users and posts) from the owning modules',
  async run(ctx) {
    const r = await ctx.services.search.reindex((msg) => ctx.log.info(msg));
    console.log(`search-reindex: ${r.users} users, ${r.posts} posts`);
  },
};
