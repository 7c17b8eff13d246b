// An in-memory stand-in for an OpenSearch cluster, speaking the client calls the backend makes
// (index, delete, search) and evaluating the query DSL subset it sends (bool must/should/filter with
// minimum_should_match, term, terms, prefix, fuzzy, sort, size) as OpenSearch documents them: text is
// analysed like the standard analyser (lower-cased words), `fuzzy` allows AUTO edits (0 for 1–2
// characters, 1 for 3–5, 2 above), a missing document's delete fails with statusCode 404.
// No OpenSearch can run on this machine or in CI; this lets one behaviour table run against both
// search backends. An unknown query clause throws, so a backend change cannot pass unnoticed.
import type { OpenSearchLike } from '../../src/modules/search/opensearch-backend.js';

type Doc = Record<string, unknown>;
type Clause = Record<string, any>;

const tokens = (v: unknown): string[] => (typeof v === 'string' ? (v.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) : v == null ? [] : [String(v)]);

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
const autoFuzziness = (v: string) => (v.length <= 2 ? 0 : v.length <= 5 ? 1 : 2);
const one = (o: Clause) => {
  const [field, spec] = Object.entries(o)[0];
  return { field, spec };
};

/** The score of a document for a clause, or null when it does not match. */
function score(doc: Doc, q: Clause): number | null {
  const [kind, body] = Object.entries(q)[0] as [string, Clause];
  switch (kind) {
    case 'term': {
      const { field, spec } = one(body);
      const value = typeof spec === 'object' && spec !== null ? spec.value : spec;
      return tokens(doc[field]).includes(String(value).toLowerCase()) || doc[field] === value ? 1 : null;
    }
    case 'terms': {
      const { field, spec } = one(body);
      return (spec as unknown[]).some((v) => score(doc, { term: { [field]: v } }) !== null) ? 1 : null;
    }
    case 'prefix': {
      const { field, spec } = one(body);
      const { value, boost = 1 } = typeof spec === 'object' ? spec : { value: spec };
      return tokens(doc[field]).some((tk) => tk.startsWith(String(value).toLowerCase())) ? boost : null;
    }
    case 'fuzzy': {
      const { field, spec } = one(body);
      const value = String(spec.value).toLowerCase();
      if (spec.fuzziness !== 'AUTO') throw new Error(`stand-in: fuzziness ${spec.fuzziness} not supported`);
      return tokens(doc[field]).some((tk) => editDistance(tk, value) <= autoFuzziness(value)) ? 1 : null;
    }
    case 'bool': {
      let total = 0;
      for (const c of body.filter ?? []) if (score(doc, c) === null) return null;
      for (const c of body.must ?? []) {
        const s = score(doc, c);
        if (s === null) return null;
        total += s;
      }
      const should = (body.should ?? []).map((c: Clause) => score(doc, c)).filter((s: number | null) => s !== null) as number[];
      const min = body.minimum_should_match ?? (body.must?.length || body.filter?.length ? 0 : body.should?.length ? 1 : 0);
      if (should.length < min) return null;
      return total + should.reduce((a, b) => a + b, 0);
    }
    default:
      throw new Error(`stand-in: query clause "${kind}" not supported`);
  }
}

export function openSearchStandIn(): OpenSearchLike & { docs: Map<string, Map<string, Doc>> } {
  const docs = new Map<string, Map<string, Doc>>();
  const indexOf = (name: string) => docs.get(name) ?? docs.set(name, new Map()).get(name)!;
  return {
    docs,
    async index({ index, id, body }) {
      indexOf(index).set(id, structuredClone(body));
      return { body: { result: 'created' } };
    },
    async delete({ index, id }) {
      if (!indexOf(index).delete(id)) throw Object.assign(new Error('not_found'), { meta: { statusCode: 404 } });
      return { body: { result: 'deleted' } };
    },
    async search({ index, body }) {
      const { query, size = 10, sort } = body as { query: Clause; size?: number; sort?: Record<string, 'asc' | 'desc'>[] };
      const hits = [...indexOf(index).entries()]
        .map(([id, doc]) => ({ id, doc, score: score(doc, query) }))
        .filter((h) => h.score !== null);
      if (sort) {
        for (const s of sort) if (Object.keys(s).length !== 1) throw new Error('stand-in: one field per sort entry');
        hits.sort((a, b) => {
          for (const s of sort) {
            const [field, dir] = Object.entries(s)[0];
            const d = Number(a.doc[field]) - Number(b.doc[field]);
            if (d) return dir === 'desc' ? -d : d;
          }
          return 0;
        });
      } else hits.sort((a, b) => b.score! - a.score!);
      return { body: { hits: { hits: hits.slice(0, size).map((h) => ({ _id: h.id })) } } };
    },
  };
}
