// Two validators: request bodies are typed strictly (no coercion: "5" is not a number),
// query strings and path params are coerced, and multipart fields (all strings) are coerced too.
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { LazySchemas } from './lazy-schemas.js';

export const MULTIPART = Symbol('multipart');

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({ allErrors: true, coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, strict: false });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

/** Bounds of every request's input, free-form objects included (gift payload, media/message meta). */
export const INPUT_LIMITS = { depth: 16, nodes: 20_000, keys: 500 } as const;

/** What the walker found wrong, as an ajv-like error so it is reported like any other field error. */
interface InputProblem {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

const problem = (path: string, message: string): InputProblem => ({ instancePath: path, keyword: 'input', params: {}, message });

/**
 * One iterative pass over a request's input (no recursion: a thousand-level document cannot
 * overflow the stack): NUL characters in any string or key (PostgreSQL stores neither in text
 * nor in jsonb), nesting depth, node and key counts. Runs before schema validation, for bodies,
 * query strings and path parameters alike.
 */
export function inspectInput(root: unknown): InputProblem | null {
  const stack: [unknown, string, number][] = [[root, '', 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (++nodes > INPUT_LIMITS.nodes) return problem('', `The request has more than ${INPUT_LIMITS.nodes} values.`);
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return problem(path, 'Null characters are not allowed.');
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= INPUT_LIMITS.depth) return problem(path, `Nesting is deeper than ${INPUT_LIMITS.depth} levels.`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`, depth + 1]);
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > INPUT_LIMITS.keys) return problem(path, `Ensure this object has no more than ${INPUT_LIMITS.keys} keys.`);
    for (const k of keys) {
      if (k.includes('\u0000')) return problem(path, 'Null characters are not allowed.');
      stack.push([(v as Record<string, unknown>)[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1]);
    }
  }
  return null;
}

const rejected = (p: InputProblem) => ({ error: Object.assign(new Error('validation'), { validation: [p] }) });

/** The route validators; each schema compiles when its route first validates (see lazy-schemas.ts). */
export function validatorCompiler(lazy: LazySchemas): FastifySchemaCompiler<any> {
  return ({ schema, httpPart }) => {
    if (httpPart !== 'body') {
      const v = lazy.wrap(() => coercing.compile(schema));
      return ((input: any) => {
        const bad = inspectInput(input);
        if (bad) return rejected(bad);
        return v(input) ? { value: input } : { error: Object.assign(new Error('validation'), { validation: v.compiled().errors }) };
      }) as never;
    }
    const s = lazy.wrap(() => strict.compile(schema));
    const c = lazy.wrap(() => coercing.compile(schema));
    return ((input: any) => {
      // A missing body validates as {} so required fields are reported by name, as DRF does.
      const data = input === undefined || input === null ? {} : input;
      const bad = inspectInput(data);
      if (bad) return rejected(bad);
      const v = data && typeof data === 'object' && data[MULTIPART] ? c : s;
      const ok = v(data);
      return ok ? { value: data } : { error: Object.assign(new Error('validation'), { validation: v.compiled().errors }) };
    }) as never;
  };
}
