// The OpenSearch adapter against a fake client that records calls: the requests it builds. What those
// requests find is checked against the PostgreSQL index in backends.test.ts (one behaviour table).
import { describe, expect, it } from 'vitest';
import { connectOpenSearch, createOpenSearchBackend, POSTS_INDEX, USERS_INDEX, type OpenSearchLike } from '../../src/modules/search/opensearch-backend.js';
import { loadConfig } from '../../src/config.js';

function fakeClient(hits: string[] = []) {
  const calls: { op: string; params: any }[] = [];
  const client: OpenSearchLike = {
    async index(params) {
      calls.push({ op: 'index', params });
    },
    async delete(params) {
      calls.push({ op: 'delete', params });
      throw Object.assign(new Error('gone'), { meta: { statusCode: 404 } });
    },
    async search(params) {
      calls.push({ op: 'search', params });
      return { body: { hits: { hits: hits.map((_id) => ({ _id })) } } };
    },
  };
  return { client, calls };
}

describe('OpenSearch backend', () => {
  it('indexes users and posts into their indexes', async () => {
    const { client, calls } = fakeClient();
    const b = createOpenSearchBackend(client);
    await b.upsert({ type: 'user', refId: 7, ownerId: 7, visibility: 'public', name: 'Ann', bio: 'hi', handle: 'AnnB' });
    await b.upsert({ type: 'post', refId: 9, ownerId: 7, visibility: 'followers', text: 'hello' });
    expect(calls).toEqual([
      { op: 'index', params: { index: USERS_INDEX, id: '7', body: { name: 'Ann', handle: 'annb', bio: 'hi', owner_id: 7, visibility: 'public' } } },
      { op: 'index', params: { index: POSTS_INDEX, id: '9', body: { text: 'hello', owner_id: 7, visibility: 'followers', ref_id: 9 } } },
    ]);
  });

  it('tolerates deleting a missing document, rethrows other errors', async () => {
    const { client } = fakeClient();
    await expect(createOpenSearchBackend(client).remove('post', 1)).resolves.toBeUndefined();
    const failing = { ...client, delete: async () => Promise.reject(Object.assign(new Error('down'), { meta: { statusCode: 503 } })) };
    await expect(createOpenSearchBackend(failing).remove('post', 1)).rejects.toThrow('down');
  });

  it('builds user and post queries with filters for active users and visibility', async () => {
    const { client, calls } = fakeClient(['3', '1', 'bogus']);
    const b = createOpenSearchBackend(client);
    expect(await b.users('Ann', 10)).toEqual([3, 1]);
    const u = calls[0].params;
    expect(u.index).toBe(USERS_INDEX);
    expect(u.body.size).toBe(10);
    expect(u.body.query.bool.filter).toEqual([{ term: { visibility: 'public' } }]);
    // Every word a prefix of a name, handle or bio word (name counts double), as in the PostgreSQL index.
    expect(u.body.query.bool.should[0].bool.must).toEqual([
      { bool: { should: [{ prefix: { name: { value: 'ann', boost: 2 } } }, { prefix: { handle: { value: 'ann' } } }, { prefix: { bio: { value: 'ann' } } }], minimum_should_match: 1 } },
    ]);
    await b.posts('hello world', 5, 20);
    const p = calls[1].params;
    expect(p.index).toBe(POSTS_INDEX);
    expect(p.body.query.bool.must).toEqual([
      { bool: { should: [{ prefix: { text: { value: 'hello' } } }], minimum_should_match: 1 } },
      { bool: { should: [{ prefix: { text: { value: 'world' } } }], minimum_should_match: 1 } },
    ]);
    expect(p.body.query.bool.filter[0].bool.should).toContainEqual({ term: { owner_id: 5 } });
    expect(p.body.sort).toEqual([{ ref_id: 'desc' }]);
  });

  it('reads OPENSEARCH_* settings (credentials under OPENSEARCH_USERNAME)', () => {
    const c = loadConfig({ NODE_ENV: 'test', OPENSEARCH_ENABLED: 'true', OPENSEARCH_URL: 'https://os:9200', OPENSEARCH_USERNAME: 'u', OPENSEARCH_PASSWORD: 'p' });
    expect(c.opensearch).toEqual({ enabled: true, url: 'https://os:9200', username: 'u', password: 'p' });
    expect(loadConfig({ NODE_ENV: 'test' }).opensearch.enabled).toBe(false);
  });

  it('builds the official client from the settings (no server contacted)', async () => {
    const cfg = loadConfig({ OPENSEARCH_ENABLED: 'true', OPENSEARCH_URL: 'http://127.0.0.1:9', OPENSEARCH_USERNAME: 'u', OPENSEARCH_PASSWORD: 'p' }).opensearch;
    const client = await connectOpenSearch(cfg);
    expect(typeof client.index).toBe('function');
    expect(typeof client.search).toBe('function');
  });
});
