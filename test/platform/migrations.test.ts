// `migrate()` skips an up-to-date database with one read-only query (start-up time); these prove it
// still migrates a new database and one that is a migration behind, and that the skip changes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate as drizzleMigrate } from 'drizzle-orm/pglite/migrator';
import { MIGRATIONS_DIR, openPglite, type Database } from '../../src/platform/db/index.js';

interface Journal {
  entries: { when: number; tag: string }[];
}
const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as Journal;
const newest = journal.entries.at(-1)!;

const opened: Database[] = [];
afterAll(async () => {
  for (const d of opened) await d.close();
});

async function applied(database: Database) {
  const pglite = (database as unknown as { pglite: { query<T>(q: string): Promise<{ rows: T[] }> } }).pglite;
  return (await pglite.query<{ created_at: number }>('select created_at from drizzle.__drizzle_migrations order by created_at')).rows.map((r) => Number(r.created_at));
}

describe('migrations at start-up', () => {
  it('a new database gets every migration; migrating again changes nothing', async () => {
    const database = await openPglite(null);
    opened.push(database);
    await database.migrate();
    const first = await applied(database);
    expect(first).toEqual(journal.entries.map((e) => e.when));
    await database.migrate();
    expect(await applied(database)).toEqual(first);
  }, 120_000);

  it('a database one migration behind gets the newest one', async () => {
    // The journal without its newest entry, applied by drizzle itself: the database of the previous release.
    const older = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-migrations-'));
    fs.cpSync(MIGRATIONS_DIR, older, { recursive: true });
    fs.writeFileSync(path.join(older, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, -1) }));
    fs.rmSync(path.join(older, `${newest.tag}.sql`));
    const database = await openPglite(null);
    opened.push(database);
    await drizzleMigrate(drizzle((database as unknown as { pglite: never }).pglite), { migrationsFolder: older });
    expect((await applied(database)).at(-1)).toBeLessThan(newest.when);
    await database.migrate();
    expect((await applied(database)).at(-1)).toBe(newest.when);
    fs.rmSync(older, { recursive: true, force: true });
  }, 120_000);
});
