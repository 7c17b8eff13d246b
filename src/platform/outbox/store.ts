// The outbox table's statements: writing events, claiming due ones, recording the outcome, purging.
// The relay (src/platform/events.ts) decides when; this file knows only the table.
import { and, asc, eq, inArray, isNull, lte, notInArray, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { prepared } from '../db/prepared.js';
import type { Db, DbOrTx } from '../db/index.js';
import { outbox } from './schema.js';

/** Events claimed per pass. */
export const CLAIM_BATCH = 100;

export interface Claimed {
  id: number;
  name: string;
  payload: unknown;
  attempts: number;
  handled: string[];
}

/** Which undelivered rows a pass looks at: due ones (or all, leases ignored), some excluded, or only some. */
export interface DueFilter {
  all: boolean;
  exclude: number[];
  only?: number[];
}

const due = (o: DueFilter) =>
  and(
    isNull(outbox.deliveredAt),
    o.all ? undefined : lte(outbox.nextAttemptAt, sql`now()`),
    o.exclude.length ? notInArray(outbox.id, o.exclude) : undefined,
    o.only ? inArray(outbox.id, o.only) : undefined,
  );

export async function insertEvent(db: DbOrTx, name: string, payload: unknown): Promise<number> {
  const [row] = await db.insert(outbox).values({ name, payload }).returning({ id: outbox.id });
  return row.id;
}

/** The insert of `name` as a CTE, once per row of `from`, returning `event_id` (DomainEvents.cte()). */
export function insertEventCte(db: DbOrTx, alias: string, name: string, payload: SQL, from: SQL) {
  return db
    .$with(alias, { eventId: sql<number>`event_id`.mapWith(Number).as('event_id'), payload: sql<unknown>`payload`.as('payload') })
    .as(sql`insert into ${outbox} (name, payload) select ${name}, ${payload} from ${from} returning id as event_id, payload`);
}

/** The names of the rows a claim would take, without taking them (the crash test hook). */
export async function dueNames(db: Db, o: DueFilter): Promise<string[]> {
  return (await db.select({ name: outbox.name }).from(outbox).where(due(o)).orderBy(asc(outbox.id)).limit(CLAIM_BATCH)).map((r) => r.name);
}

/**
 * One statement: lock the due rows nobody else holds, lease them for `leaseMs`, return them in id
 * order. (A CTE that locks rows is evaluated once, so the LIMIT holds whatever plan the update gets.)
 */
function buildClaim(db: Db, where: SQL | undefined, leaseSec: number | Placeholder) {
  const locked = db.$with('due').as(db.select({ id: outbox.id }).from(outbox).where(where).orderBy(asc(outbox.id)).limit(CLAIM_BATCH).for('update', { skipLocked: true }));
  return db
    .with(locked)
    .update(outbox)
    .set({ attempts: sql`${outbox.attempts} + 1`, nextAttemptAt: sql`now() + make_interval(secs => ${leaseSec}::double precision)` })
    .where(inArray(outbox.id, db.select({ id: locked.id }).from(locked)))
    .returning({ id: outbox.id, name: outbox.name, payload: outbox.payload, attempts: outbox.attempts, handled: outbox.handled });
}

// The relay loop's pass and a request's flush claim on every event, so their shapes are prepared
// (built once per database handle, parsed once per connection); drain()'s exclusions are built per call.
const ids = sql`any(${sql.placeholder('ids')}::bigint[])`;
const claimDue = prepared('outbox_claim_due', (db) => buildClaim(db, due({ all: false, exclude: [] }), sql.placeholder('leaseSec')));
const claimOnly = prepared('outbox_claim_only', (db) => buildClaim(db, and(due({ all: false, exclude: [] }), sql`${outbox.id} = ${ids}`), sql.placeholder('leaseSec')));
const markStatement = prepared('outbox_mark_delivered', (db) => db.update(outbox).set({ deliveredAt: sql`now()`, lastError: null }).where(sql`${outbox.id} = ${ids}`));

export async function claim(db: Db, o: DueFilter, leaseMs: number): Promise<Claimed[]> {
  const leaseSec = leaseMs / 1000;
  const rows =
    o.all || o.exclude.length
      ? await buildClaim(db, due(o), leaseSec)
      : o.only
        ? await claimOnly(db).execute({ ids: o.only, leaseSec })
        : await claimDue(db).execute({ leaseSec });
  return rows.sort((a, b) => a.id - b.id);
}

export async function markDelivered(db: Db, delivered: number[]): Promise<void> {
  await markStatement(db).execute({ ids: delivered });
}

/** A failed delivery: the listeners that succeeded are recorded, the row is due again after `backoffSec`. */
export async function recordFailure(db: Db, id: number, succeeded: string[], backoffSec: number, error: unknown): Promise<void> {
  await db
    .update(outbox)
    .set({
      handled: succeeded.length ? sql`${outbox.handled} || array[${sql.join(succeeded.map((k) => sql`${k}`), sql`, `)}]::text[]` : undefined,
      nextAttemptAt: sql`now() + make_interval(secs => ${backoffSec}::double precision)`,
      lastError: String((error as Error)?.message ?? error).slice(0, 500),
    })
    .where(eq(outbox.id, id));
}

/** Deletes up to 10,000 rows delivered more than `hours` ago. */
export async function purgeDelivered(db: Db, hours: number): Promise<void> {
  await db.execute(sql`
    delete from outbox where id in (
      select id from outbox where delivered_at is not null and delivered_at < now() - make_interval(hours => ${hours}::int) limit 10000)`);
}

export async function countPending(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.deliveredAt));
  return Number(r.n);
}
