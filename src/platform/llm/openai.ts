// Any OpenAI-compatible Chat Completions server, streaming, through the official `openai` SDK.
// POSTs <MENTOR_LLM_BASE_URL>/chat/completions with "stream": true; copes with a role-only first
// chunk and with usage chunks whose `choices` is empty. Every call is bounded by the idle guard.
// The SDK (~150 modules) loads on the first call, not at every start.
import type OpenAI from 'openai';
import type { MentorConfig } from '../../config.js';
import { IdleGuard, LlmError, type LlmCall, type LlmProvider } from './types.js';

type Sdk = typeof import('openai');
let sdk: Promise<Sdk> | undefined;
const loadSdk = () => (sdk ??= import('openai'));

export function mapOpenAiError(err: unknown, guard: IdleGuard, { APIConnectionError, APIError, APIUserAbortError }: Sdk): LlmError {
  if (err instanceof LlmError) return err;
  const fromGuard = guard.abortError();
  if (fromGuard) return fromGuard;
  if (err instanceof APIUserAbortError) return new LlmError('aborted', 'LLM request aborted');
  if (err instanceof APIError && typeof err.status === 'number') {
    return err.status >= 500 || err.status === 429 ? new LlmError('unavailable', `LLM provider answered ${err.status}`) : new LlmError('rejected', `LLM provider rejected the request (${err.status})`);
  }
  if (err instanceof APIConnectionError) return new LlmError('unavailable', 'LLM provider unreachable');
  if (err instanceof SyntaxError) return new LlmError('bad_response', 'LLM provider sent malformed data');
  return new LlmError('unavailable', 'LLM request failed');
}

export function createOpenAiProvider(cfg: MentorConfig): LlmProvider {
  let client: OpenAI | undefined;
  return {
    name: 'openai',
    async *stream(call: LlmCall) {
      const S = await loadSdk();
      // The SDK insists on a key; a local OpenAI-compatible server usually ignores it.
      client ??= new S.default({ baseURL: cfg.baseUrl, apiKey: cfg.apiKey ?? 'unset', maxRetries: 0, timeout: cfg.timeoutMs, logLevel: 'off' });
      const guard = new IdleGuard(cfg.timeoutMs, call.signal);
      const api = call.apiKey ? client.withOptions({ apiKey: call.apiKey }) : client;
      try {
        const stream = await api.chat.completions.create(
          { model: cfg.model, messages: call.messages, stream: true, max_tokens: call.maxTokens ?? cfg.maxTokens },
          { signal: guard.signal, maxRetries: 0, timeout: cfg.timeoutMs },
        );
        guard.touch();
        let finished = false;
        for await (const chunk of stream) {
          guard.touch();
          if (!chunk || typeof chunk !== 'object' || !Array.isArray(chunk.choices)) throw new LlmError('bad_response', 'LLM provider sent malformed data');
          for (const choice of chunk.choices) {
            const delta = choice?.delta?.content;
            if (typeof delta === 'string' && delta !== '') yield delta;
            if (choice?.finish_reason) finished = true;
          }
        }
        if (guard.signal.aborted) throw guard.abortError() ?? new LlmError('aborted', 'LLM request aborted');
        if (!finished) throw new LlmError('bad_response', 'LLM stream ended before the reply was finished');
      } catch (err) {
        throw mapOpenAiError(err, guard, S);
      } finally {
        guard.dispose();
      }
    },
  };
}
