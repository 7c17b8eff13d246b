import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { bannedWordMatcher } from '../../src/modules/moderation/words.js';

describe('MODERATION_BANNED_WORDS', () => {
  it('defaults to spam, scam, offensive and parses a comma list', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).moderation.bannedWords).toEqual(['spam', 'scam', 'offensive']);
    expect(loadConfig({ NODE_ENV: 'test', MODERATION_BANNED_WORDS: ' Foo , bar baz ,,' }).moderation.bannedWords).toEqual(['foo', 'bar baz']);
  });

  it('matches whole words and phrases only, with regex characters taken literally', () => {
    const m = bannedWordMatcher(['bar baz', 'c++', 'foo']);
    expect(m('say BAR BAZ now')).toBe('bar baz');
    expect(m('I like c++')).toBe('c++');
    expect(m('food')).toBeNull();
    expect(m('cxx')).toBeNull();
    expect(bannedWordMatcher([])('anything')).toBeNull();
  });
});
