import type { Command } from './index.js';
import { parseArgs } from './index.js';

export const bootstrapAdmin: Command = {
  help: 'create or update the superuser (--email, --password, --name; env ADMIN_*); seeds default feature flags',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const email = String(opts.email ?? ctx.config.admin.email);
    const password = opts.password ? String(opts.password) : ctx.config.admin.password;
    if (!password || password.length < 8) {
      console.error('bootstrap-admin needs a password of 8+ characters: --password or ADMIN_PASSWORD');
      return 2;
    }
    const name = String(opts.name ?? ctx.config.admin.name);
    const svc = ctx.services.users;
    let user = await svc.findByEmail(email);
    if (!user) {
      user = await svc.createUser({ email, password, name, handle: email.split('@')[0], isStaff: true, isSuperuser: true, roles: [...svc.ADMIN_ROLES] });
      console.log(`created admin ${email} (id ${user.id})`);
    } else {
      await svc.grantAdmin(user.id);
      await svc.setPassword(user.id, password);
      console.log(`updated admin ${email} (id ${user.id}); password reset, sessions revoked`);
    }
    for (const key of ['mentor_voice_beta', 'soulmatch_pro']) {
      const existing = (await ctx.services.flags.list()).find((f) => f.key === key);
      if (!existing) await ctx.services.flags.set(key, { enabled: false, rollout: 0 });
    }
  },
};
