// storage-status: which media backend runs, where files go and what a URL looks like (no secrets printed).
import type { Command } from './index.js';

export const storageStatus: Command = {
  help: 'storage-status: print the media storage backend, its location and a sample URL',
  async run(ctx) {
    const d = ctx.storage.describe();
    for (const [k, v] of Object.entries(d)) console.log(`${k}: ${v}`);
    const sample = await ctx.services.media.urlFor('media/0/sample.jpg', `http://localhost:${ctx.config.port}`);
    console.log(`public_base_url: ${ctx.config.publicBaseUrl ?? '(from each request)'}`);
    console.log(`sample_url: ${sample}`);
    console.log(`limits: images ${ctx.config.http.uploadMaxBytes} bytes, videos ${ctx.config.http.videoMaxBytes} bytes`);
  },
};
