// The page cache's store (src/platform/http/page-cache.ts): TTL, tags, builds racing drops, the byte budget.
import { describe, expect, it } from 'vitest';
import { MAX_BUILD_MS, PageCache } from '../../src/platform/http/page-cache.js';

describe('PageCache', () => {
  let now = 0;
  const clock = () => now;
  const fresh = (ttl = 1000, maxBytes = 1 << 20) => {
    now = 1_000_000;
    return new PageCache(ttl, maxBytes, clock, () => 1);
  };

  it('keeps a page for its TTL', () => {
    const c = fresh();
    expect(c.store('k', 'body', ['a'], c.begin())).toBe(true);
    expect(c.get('k')).toBe('body');
    now += 999;
    expect(c.get('k')).toBe('body');
    now += 1;
    expect(c.get('k')).toBeUndefined();
    expect(c.stats().entries).toBe(0);
  });

  it('spreads expiries over the last fifth of the TTL', () => {
    now = 0;
    const draws = [0, 0.5];
    const c = new PageCache(1000, 1 << 20, clock, () => draws.shift()!);
    c.store('early', 'a', [], c.begin());
    c.store('later', 'b', [], c.begin());
    now = 799;
    expect([c.get('early'), c.get('later')]).toEqual(['a', 'b']);
    now = 800;
    expect([c.get('early'), c.get('later')]).toEqual([undefined, 'b']);
    now = 900;
    expect(c.get('later')).toBeUndefined();
  });

  it('drops exactly the pages that carry a dropped tag', () => {
    const c = fresh();
    c.store('one', '1', ['u:1', 'p:7'], c.begin());
    c.store('two', '2', ['u:2', 'p:7'], c.begin());
    c.store('three', '3', ['u:3'], c.begin());
    c.drop(['p:7']);
    expect([c.get('one'), c.get('two'), c.get('three')]).toEqual([undefined, undefined, '3']);
    c.dropAll();
    expect(c.get('three')).toBeUndefined();
  });

  it('never stores a page built while one of its tags was dropped, or everything was', () => {
    const c = fresh();
    const mark = c.begin();
    c.drop(['p:7']);
    expect(c.store('k', 'stale', ['u:1', 'p:7'], mark)).toBe(false);
    expect(c.store('other', 'fine', ['u:1', 'p:8'], mark)).toBe(true);
    const later = c.begin();
    expect(c.store('k', 'fresh', ['u:1', 'p:7'], later)).toBe(true);
    const before = c.begin();
    c.dropAll();
    expect(c.store('k', 'stale', ['u:9'], before)).toBe(false);
  });

  it('remembers a drop for as long as a build may take, across rotations', () => {
    const c = fresh();
    now += MAX_BUILD_MS - 2000;
    const mark = c.begin();
    now += 1000;
    c.drop(['p:7']);
    now += MAX_BUILD_MS - 1500; // a rotation happened in between
    c.drop(['p:unrelated']);
    expect(c.store('k', 'stale', ['p:7'], mark)).toBe(false);
    // A build older than MAX_BUILD_MS is never stored.
    expect(c.store('k', 'old', ['p:8'], { ...c.begin(), at: now - MAX_BUILD_MS - 1 })).toBe(false);
  });

  it('evicts the least recently used pages beyond its byte budget', () => {
    const c = fresh(1000, 2 * 2 * 10); // two bodies of 10 characters
    c.store('a', 'aaaaaaaaaa', [], c.begin());
    c.store('b', 'bbbbbbbbbb', [], c.begin());
    expect(c.get('a')).toBe('aaaaaaaaaa'); // b is now the least recent
    c.store('c', 'cccccccccc', [], c.begin());
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual(['aaaaaaaaaa', undefined, 'cccccccccc']);
    expect(c.store('huge', 'x'.repeat(100), [], c.begin())).toBe(false);
  });

  it('counts a page kept as bytes by its bytes (text by its UTF-16 size)', () => {
    now = 1_000_000;
    const c = new PageCache<Buffer>(1000, 40, clock, () => 1);
    c.store('a', Buffer.alloc(20, 'a'), [], c.begin());
    c.store('b', Buffer.alloc(20, 'b'), [], c.begin());
    expect(c.stats()).toEqual({ entries: 2, bytes: 40 });
    c.store('c', Buffer.alloc(1, 'c'), [], c.begin());
    expect([c.get('a'), c.get('b')?.toString(), c.get('c')?.toString()]).toEqual([undefined, 'b'.repeat(20), 'c']);
  });

  it('with a TTL of 0 keeps nothing', () => {
    const c = fresh(0);
    expect(c.store('k', 'body', [], c.begin())).toBe(false);
    expect(c.get('k')).toBeUndefined();
  });
});
