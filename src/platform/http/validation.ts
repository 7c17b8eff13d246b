// Two validators: request bodies are typed strictly (no coercion: "5" is not a number),
// query strings and path params are coerced, and multipart fields (all strings) are coerced too.
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

export const MULTIPART = Symbol('multipart');

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({ allErrors: true, coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, strict: false });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  if (httpPart !== 'body') return coercing.compile(schema) as never;
  const s = strict.compile(schema);
  const c = coercing.compile(schema);
  return ((input: any) => {
    // A missing body validates as {} so required fields are reported by name, as DRF does.
    const data = input === undefined || input === null ? {} : input;
    const v = data && typeof data === 'object' && data[MULTIPART] ? c : s;
    const ok = v(data);
    return ok ? { value: data } : { error: Object.assign(new Error('validation'), { validation: v.errors }) };
  }) as never;
};
