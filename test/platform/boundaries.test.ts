// The module-boundary lint rule (eslint.config.js) catches what it should and lets through what it should.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint();
const errorsFor = async (code: string, filePath: string) => {
  const [res] = await eslint.lintText(code, { filePath });
  return res.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').length;
};

describe('module boundaries', () => {
  it("forbids run-time imports of another module's schema, routes and private files", async () => {
    expect(await errorsFor("import { users } from '../users/schema.js';\nexport const x = users;\n", 'src/modules/feed/x.ts')).toBe(1);
    expect(await errorsFor("import { authRoutes } from '../users/auth-routes.js';\nexport const x = authRoutes;\n", 'src/modules/feed/x.ts')).toBe(1);
    expect(await errorsFor("import { socialLogin } from '../users/social-login.js';\nexport const x = socialLogin;\n", 'src/modules/feed/x.ts')).toBe(1);
    expect(await errorsFor("import { users } from '../modules/users/schema.js';\nexport const x = users;\n", 'src/commands/x.ts')).toBe(1);
    expect(await errorsFor("import { modules } from '../modules/index.js';\nexport const x = modules;\n", 'src/platform/x.ts')).toBe(1);
  });

  it('allows services, presenters, type-only imports, own files and foreign keys in schema.ts', async () => {
    expect(await errorsFor("import { USER_EVENTS } from '../users/service.js';\nexport const x = USER_EVENTS;\n", 'src/modules/feed/x.ts')).toBe(0);
    expect(await errorsFor("import { me } from '../users/present.js';\nexport const x = me;\n", 'src/modules/feed/x.ts')).toBe(0);
    expect(await errorsFor("import type { UserRow } from '../users/schema.js';\nexport type X = UserRow;\n", 'src/modules/feed/x.ts')).toBe(0);
    expect(await errorsFor("import { posts } from './schema.js';\nimport { now } from '../../platform/x.js';\nexport const x = [posts, now];\n", 'src/modules/social/x.ts')).toBe(0);
    expect(await errorsFor("import { users } from '../users/schema.js';\nexport const x = users;\n", 'src/modules/feed/schema.ts')).toBe(0);
  });
});
