// Schema pieces shared by every module's routes.
import { Type, type TSchema } from 'typebox';

/** Path ids: positive integers below 10^15 (wire rule); anything else is a 400/404, never a 500. */
export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }) });

export const ErrorSchema = Type.Object({ detail: Type.Optional(Type.Any()), code: Type.Optional(Type.String()) }, { additionalProperties: true });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  ordering: Type.Optional(Type.String({ maxLength: 64 })),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ next: Type.Union([Type.String(), Type.Null()]), previous: Type.Union([Type.String(), Type.Null()]), results: Type.Array(item) });

export const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const TimeString = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,6})?)?$' });

/** A calendar date that really exists (the pattern alone accepts 2024-02-31). */
export function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export const Loose = Type.Object({}, { additionalProperties: true });
