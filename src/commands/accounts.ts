import type { Command } from './index.js';
import { parseArgs } from './index.js';

export const setPassword: Command = {
  help: 'set-password <email> <password>: sets a password and revokes every session',
  async run(ctx, args) {
    const [email, password] = args;
    if (!email || !password || password.length < 8) {
      console.error('usage: selflink set-password <email> <password (8+ characters)>');
      return 2;
    }
    const user = await ctx.services.users.findByEmail(email);
    if (!user) {
      console.error(`no user with e-mail ${email}`);
      return 1;
    }
    await ctx.services.users.setPassword(user.id, password);
    console.log(`password set for ${email}`);
  },
};

export const flagsCommand: Command = {
  help: 'flags [list] | flags set <key> [--enabled] [--rollout N] | flags delete <key>',
  async run(ctx, args) {
    const { opts, rest } = parseArgs(args);
    const [action = 'list', key] = rest;
    const flags = ctx.services.flags;
    if (action === 'list') {
      for (const f of await flags.list()) console.log(`${f.key}\tenabled=${f.enabled}\trollout=${f.rollout ?? 'all'}`);
      return;
    }
    if (!key) {
      console.error('a flag key is required');
      return 2;
    }
    if (action === 'set') {
      const rollout = opts.rollout === undefined || opts.rollout === 'all' ? null : Number(opts.rollout);
      if (rollout !== null && !(rollout >= 0 && rollout <= 100)) {
        console.error('--rollout must be a number from 0 to 100, or "all"');
        return 2;
      }
      await flags.set(key, { enabled: opts.enabled === true || opts.enabled === 'true', rollout });
      console.log(`flag ${key} saved`);
      return;
    }
    if (action === 'delete') {
      await flags.remove(key);
      console.log(`flag ${key} deleted`);
      return;
    }
    console.error(`unknown action ${action}`);
    return 2;
  },
};
