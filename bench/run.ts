// npm run bench -- <name>: runs one benchmark and records it in bench/RESULTS.md.
const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  'users-me': () => import('./http-users-me.js'),
  startup: () => import('./startup.js'),
  feed: () => import('./feed.js'),
  realtime: () => import('./realtime.js'),
  astro: () => import('./astro.js'),
  mentor: () => import('./mentor.js'),
  coin: () => import('./coin.js'),
  rewards: () => import('./rewards.js'),
};

const name = process.argv[2];
const pick = name ? [name] : Object.keys(benches);
for (const n of pick) {
  const b = benches[n];
  if (!b) {
    console.error(`unknown benchmark ${n}; have: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await (await b()).run();
}
process.exit(0);
