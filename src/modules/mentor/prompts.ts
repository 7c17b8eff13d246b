// Prompt building: persona + what we know about the person as system messages, then the history
// (trimmed from the oldest end, never into the system messages), then the new user message.
import type { ChatMessage } from '../../platform/llm/index.js';
import type { NatalChart, SoulmatchResult, Transits } from './knowledge.js';

export interface PersonFacts {
  name: string;
  locale: string;
  chart: NatalChart | null;
  lifePath: number | null;
  transits: Transits | null;
}

export function placement(p: { sign?: string; lon?: number } | undefined): string | null {
  if (!p?.sign) return null;
  if (typeof p.lon !== 'number' || !Number.isFinite(p.lon)) return p.sign;
  return `${p.sign} ${(((p.lon % 30) + 30) % 30).toFixed(1)}°`;
}

/** The second system message: facts only, never the e-mail address. */
export function contextMessage(f: PersonFacts): string {
  const lines = ['What SelfLink knows about this person (use it, do not invent more):', `- Name: ${f.name}`];
  let known = false;
  if (f.chart) {
    const p = f.chart.planets ?? {};
    const items: [string, string | null][] = [
      ['Sun', placement(p.sun)],
      ['Moon', placement(p.moon)],
      ['Ascendant', f.chart.houses?.['1']?.sign ?? null],
      ['Mercury', placement(p.mercury)],
      ['Venus', placement(p.venus)],
      ['Mars', placement(p.mars)],
    ];
    for (const [k, v] of items) {
      if (!v) continue;
      lines.push(`- ${k}: ${v}`);
      known = true;
    }
  }
  if (f.lifePath !== null) {
    lines.push(`- Life path number: ${f.lifePath}`);
    known = true;
  }
  if (f.transits) {
    lines.push(`- Today: Sun in ${f.transits.sun_today}, Moon in ${f.transits.moon_today}`);
    known = true;
  }
  if (!known) lines.push('- (No astro or matrix data available for this user yet.)');
  return lines.join('\n');
}

/**
 * Keeps every system message, then the newest history that fits both the message count and the
 * character budget left after the system messages and the new user message.
 */
export function buildMessages(system: string[], history: ChatMessage[], userText: string, maxMessages: number, maxChars: number): ChatMessage[] {
  const sys: ChatMessage[] = system.filter((s) => s.trim() !== '').map((content) => ({ role: 'system', content }));
  let budget = maxChars - sys.reduce((n, m) => n + m.content.length, 0) - userText.length;
  const kept: ChatMessage[] = [];
  const recent = history.filter((m) => m.content.trim() !== '').slice(-Math.max(0, maxMessages - 1));
  for (let i = recent.length - 1; i >= 0; i--) {
    const m = recent[i];
    if (m.content.length > budget) {
      if (budget > 200) kept.unshift({ role: m.role, content: `…${m.content.slice(m.content.length - budget + 1)}` });
      break;
    }
    budget -= m.content.length;
    kept.unshift(m);
  }
  return [...sys, ...kept, { role: 'user', content: userText }];
}

export function natalPrompt(f: PersonFacts): string {
  const p = f.chart?.planets ?? {};
  const lines = [`Person: ${f.name} (locale ${f.locale})`, 'Natal placements:'];
  for (const [k, v] of [['Sun', placement(p.sun)], ['Moon', placement(p.moon)], ['Ascendant', f.chart?.houses?.['1']?.sign ?? null], ['Venus', placement(p.venus)], ['Mars', placement(p.mars)]] as const) {
    if (v) lines.push(`- ${k}: ${v}`);
  }
  if (f.lifePath !== null) lines.push(`Life path number: ${f.lifePath}`);
  lines.push('', 'Write a structured reading under five numbered headings: 1. Core Personality 2. Emotional World 3. Relationships & Love 4. Career & Purpose 5. Main Challenges & Advice.');
  return lines.join('\n');
}

export function soulmatchPrompt(a: string, b: string, r: SoulmatchResult | null): string {
  const lines = [`Person A: ${a}`, `Person B: ${b}`];
  if (r) {
    lines.push(`SoulMatch score: ${r.score}`);
    const c = r.components ?? {};
    lines.push(`Components: astro ${c.astro ?? '?'}, matrix ${c.matrix ?? '?'}, psychology ${c.psychology ?? '?'}, lifestyle ${c.lifestyle ?? '?'}`);
    if (r.tags?.length) lines.push(`Tags: ${r.tags.join(', ')}`);
  } else {
    lines.push('No compatibility score is available yet.');
  }
  lines.push('', 'Explain their connection in four sections: Core Connection, Strengths, Challenges, Practical Advice.');
  return lines.join('\n');
}

export function dailyPrompt(f: PersonFacts, date: string): string {
  const p = f.chart?.planets ?? {};
  return [
    `Person: ${f.name}`,
    `Date: ${date}`,
    `Natal: Sun ${placement(p.sun) ?? 'not provided'}, Moon ${placement(p.moon) ?? 'not provided'}, Asc ${f.chart?.houses?.['1']?.sign ?? 'not provided'}`,
    `Today: Sun ${f.transits?.sun_today ?? 'not provided'}, Moon ${f.transits?.moon_today ?? 'not provided'}`,
    '',
    'Give 3-5 short bullet points: a mindset for today, one concrete action, one relationship tip, one thing to avoid.',
  ].join('\n');
}

// ---- sessions/ask: keyword sentiment and the deterministic fallback ----

export function sentimentOf(text: string): 'positive' | 'negative' | 'neutral' {
  const t = text.toLowerCase();
  if (['grateful', 'happy', 'excited', 'energized'].some((w) => t.includes(w))) return 'positive';
  if (['sad', 'tired', 'lonely', 'anxious', 'stressed'].some((w) => t.includes(w))) return 'negative';
  return 'neutral';
}

export function fallbackAnswer(name: string, sentiment: string, now = new Date()): string {
  const weekday = now.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  const open = sentiment === 'positive' ? 'It is lovely to feel this energy with you' : sentiment === 'negative' ? 'I am sorry today feels heavy' : 'Thank you for checking in';
  const step =
    sentiment === 'positive'
      ? 'send a short note of thanks to someone who helped you.'
      : sentiment === 'negative'
        ? 'pause for five minutes, breathe slowly and write down what you need right now.'
        : `write three lines about how this ${weekday} has gone so far.`;
  return `${open}, ${name}. Let us take one slow breath together. One gentle step: ${step}`;
}

// ---- §4.9 safety hooks: flags travel in message meta ----

export function preprocessUserMessage(_text: string): Record<string, unknown> {
  return {};
}

export function postprocessReply(text: string): { text: string; flags: Record<string, unknown> } {
  return { text: text.trim(), flags: {} };
}

/** §4.10: whitespace collapsed, at most 180 characters, cut at a word boundary. */
export function shorten(text: string, max = 180): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > 40 ? cut.slice(0, sp) : cut).trimEnd()}…`;
}
