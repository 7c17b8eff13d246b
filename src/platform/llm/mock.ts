// Deterministic embedded provider: the same conversation always gets the same reply, streamed
// word by word (one event-loop turn per token, like a real provider's chunks).
import { setImmediate as tick } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { LlmError, type LlmCall, type LlmProvider } from './types.js';

const OPENINGS = [
  'Thank you for sharing this with me.',
  'I hear you, and what you describe matters.',
  'That is worth pausing on for a moment.',
];
const STEPS = [
  'Take three slow breaths and name one feeling you notice right now.',
  'Write one sentence about what you need most today.',
  'Choose one small, kind action for yourself before evening.',
];

export function mockReply(call: LlmCall): string {
  const lastUser = [...call.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const h = createHash('sha256').update(lastUser).digest();
  const topic = lastUser.trim().split(/\s+/).slice(0, 8).join(' ');
  return `${OPENINGS[h[0] % OPENINGS.length]} You wrote: "${topic}". One gentle step: ${STEPS[h[1] % STEPS.length]}`;
}

export function createMockProvider(): LlmProvider {
  return {
    name: 'mock',
    async *stream(call) {
      const words = mockReply(call).split(/(?<= )/);
      for (const w of words) {
        if (call.signal?.aborted) throw new LlmError('aborted', 'LLM request aborted');
        await tick();
        yield w;
      }
    },
  };
}
