// LLM providers behind one interface: MENTOR_LLM_PROVIDER = mock (default) | openai | ollama.
// `createLlm` adds the one retry every provider gets: a call that failed before its first token
// because the provider was unreachable or silent is tried once more, so a silent provider ends in
// an error within 2 × MENTOR_LLM_TIMEOUT.
import type { MentorConfig } from '../../config.js';
import { createMockProvider } from './mock.js';
import { createOpenAiProvider } from './openai.js';
import { createOllamaProvider } from './ollama.js';
import { LlmError, type LlmCall, type LlmProvider } from './types.js';

export * from './types.js';
export { mockReply } from './mock.js';

export interface Llm extends LlmProvider {
  /** The whole reply (streamed underneath), capped at maxChars. */
  complete(call: LlmCall, maxChars?: number): Promise<string>;
}

export function createProvider(cfg: MentorConfig): LlmProvider {
  if (cfg.provider === 'openai') return createOpenAiProvider(cfg);
  if (cfg.provider === 'ollama') return createOllamaProvider(cfg);
  return createMockProvider();
}

export function withRetry(inner: LlmProvider, attempts = 2): LlmProvider {
  return {
    name: inner.name,
    async *stream(call) {
      for (let attempt = 1; ; attempt++) {
        let produced = false;
        try {
          for await (const d of inner.stream(call)) {
            produced = true;
            yield d;
          }
          return;
        } catch (err) {
          const e = err instanceof LlmError ? err : new LlmError('unavailable', 'LLM request failed');
          const retriable = !produced && attempt < attempts && (e.kind === 'unavailable' || e.kind === 'timeout') && !call.signal?.aborted;
          if (!retriable) throw e;
        }
      }
    },
  };
}

export function createLlm(cfg: MentorConfig, provider: LlmProvider = createProvider(cfg)): Llm {
  const p = withRetry(provider);
  return {
    name: p.name,
    stream: (call) => p.stream(call),
    async complete(call, maxChars = 16_000) {
      let out = '';
      for await (const d of p.stream(call)) {
        if (out.length + d.length > maxChars) {
          out += d.slice(0, maxChars - out.length);
          break;
        }
        out += d;
      }
      const text = out.trim();
      if (!text) throw new LlmError('bad_response', 'LLM provider returned an empty reply');
      return text;
    },
  };
}
