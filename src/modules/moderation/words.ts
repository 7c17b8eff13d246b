// Banned-word matching: whole words only, case-insensitive ("scampi" does not match "scam").

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function bannedWordMatcher(words: string[]): (text: string) => string | null {
  const list = [...new Set(words.map((w) => w.trim().toLowerCase()).filter(Boolean))];
  if (!list.length) return () => null;
  // Letters, digits and "_" of any script count as word characters, so boundaries work beyond ASCII.
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])(${list.map(escape).join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
  return (text) => {
    const m = re.exec(text);
    return m ? m[1].toLowerCase() : null;
  };
}
