// Helpers for writes made as one statement of data-modifying CTEs (one round trip instead of a
// transaction's BEGIN, statements and COMMIT; the statement is atomic on its own).
import { getTableColumns, type Table } from 'drizzle-orm';

/**
 * The columns of `table` as a CTE over it returns them (`insert … returning *`), for a select's
 * field map: Drizzle then maps the row as it would the table's own.
 */
export function cteColumns<T extends Table>(table: T, cte: object): T['_']['columns'] {
  return Object.fromEntries(Object.keys(getTableColumns(table)).map((k) => [k, (cte as Record<string, unknown>)[k]])) as T['_']['columns'];
}
