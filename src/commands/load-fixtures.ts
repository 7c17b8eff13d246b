// Loads Django dumpdata JSON (the original server's fixtures and exports) so its users can move over:
// users keep their pbkdf2_sha256 password hashes (verified, then upgraded on first login);
// their 64-bit ids are remapped to ours and follows follow the mapping.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from './index.js';
import { parseArgs } from './index.js';
import { UNUSABLE_PASSWORD } from '../platform/auth/passwords.js';

interface DjangoRow {
  model: string;
  pk: unknown;
  fields: Record<string, any>;
}

export const loadFixtures: Command = {
  help: 'load-fixtures [--path DIR|FILE]: imports Django dumpdata JSON (users.user, social.follow, config.featureflag)',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const target = path.resolve(String(opts.path ?? 'fixtures'));
    if (!fs.existsSync(target)) {
      console.error(`no such file or folder: ${target}`);
      return 1;
    }
    const files = fs.statSync(target).isDirectory()
      ? fs.readdirSync(target).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(target, f))
      : [target];
    const rows: DjangoRow[] = [];
    for (const f of files) {
      const data = JSON.parse(fs.readFileSync(f, 'utf8'));
      if (!Array.isArray(data)) throw new Error(`${f}: expected a JSON array of {model, pk, fields}`);
      rows.push(...data);
    }
    const idMap = new Map<string, number>();
    let nUsers = 0;
    let nFollows = 0;
    let nFlags = 0;
    const skipped = new Map<string, number>();
    for (const r of rows.filter((x) => x.model === 'users.user')) {
      const f = r.fields;
      const email = String(f.email ?? '').trim();
      if (!email) continue;
      const password = typeof f.password === 'string' && f.password.startsWith('pbkdf2_sha256$') ? f.password : UNUSABLE_PASSWORD;
      const handle = ctx.services.users.normalizeHandle(String(f.handle ?? email.split('@')[0])) || `user_${String(r.pk).slice(-8)}`;
      const newId = await ctx.services.users.importLegacyUser({
        email,
        handle,
        name: String(f.name ?? '').slice(0, 120),
        bio: String(f.bio ?? ''),
        photo: typeof f.photo === 'string' && /^https?:\/\//.test(f.photo) ? f.photo : '',
        birthDate: f.birth_date ?? null,
        birthTime: f.birth_time ?? null,
        birthPlace: String(f.birth_place ?? ''),
        locale: String(f.locale ?? 'en-US'),
        password,
        isActive: f.is_active !== false,
        isStaff: f.is_staff === true,
        isSuperuser: f.is_superuser === true,
      });
      const id = newId ?? (await ctx.services.users.findByEmail(email))?.id;
      if (id !== undefined) idMap.set(String(r.pk), id);
      if (newId !== null) nUsers++;
    }
    for (const r of rows.filter((x) => x.model === 'social.follow')) {
      const a = idMap.get(String(r.fields.follower));
      const b = idMap.get(String(r.fields.followee));
      if (a === undefined || b === undefined || a === b) continue;
      if (await ctx.services.users.importLegacyFollow(a, b)) nFollows++;
    }
    if (nFollows) {
      await ctx.services.users.recountFollows();
    }
    for (const r of rows.filter((x) => x.model === 'config.featureflag')) {
      const f = r.fields;
      // The original treats rollout 0 as "everyone"; we store that as null (everyone) explicitly.
      const rollout = f.rollout === undefined || Number(f.rollout) <= 0 ? null : Number(f.rollout);
      await ctx.services.flags.set(String(f.key), { enabled: f.enabled === true, rollout, description: String(f.description ?? '') });
      nFlags++;
    }
    for (const r of rows) if (!['users.user', 'social.follow', 'config.featureflag'].includes(r.model)) skipped.set(r.model, (skipped.get(r.model) ?? 0) + 1);
    console.log(`loaded ${files.length} file(s): ${nUsers} users, ${nFollows} follows, ${nFlags} feature flags`);
    for (const [m, n] of skipped) console.log(`  skipped ${n} row(s) of ${m} (not imported by this version)`);
  },
};
