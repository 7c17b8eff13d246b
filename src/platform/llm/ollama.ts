// Ollama's native chat API: POST <MENTOR_LLM_BASE_URL>/api/chat with "stream": true answers NDJSON,
// one `{"message": {"content": …}, "done": false}` line per chunk and a final `"done": true` line.
import type { MentorConfig } from '../../config.js';
import { IdleGuard, LlmError, type LlmCall, type LlmProvider } from './types.js';

interface OllamaLine {
  message?: { content?: unknown };
  done?: unknown;
  error?: unknown;
}

function parseLine(line: string): OllamaLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new LlmError('bad_response', 'LLM provider sent malformed data');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new LlmError('bad_response', 'LLM provider sent malformed data');
  return v as OllamaLine;
}

export function createOllamaProvider(cfg: MentorConfig): LlmProvider {
  const endpoint = `${cfg.baseUrl}/api/chat`;
  return {
    name: 'ollama',
    async *stream(call: LlmCall) {
      const guard = new IdleGuard(cfg.timeoutMs, call.signal);
      let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
      try {
        let res: Response;
        try {
          res = await fetch(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
            body: JSON.stringify({ model: cfg.model, messages: call.messages, stream: true, options: { num_predict: call.maxTokens ?? cfg.maxTokens } }),
            signal: guard.signal,
          });
        } catch {
          throw guard.abortError() ?? new LlmError('unavailable', 'LLM provider unreachable');
        }
        guard.touch();
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => undefined);
          throw res.status >= 500 || res.status === 429 ? new LlmError('unavailable', `LLM provider answered ${res.status}`) : new LlmError('rejected', `LLM provider rejected the request (${res.status})`);
        }
        reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch {
            throw guard.abortError() ?? new LlmError('unavailable', 'LLM stream was interrupted');
          }
          if (chunk.done) break;
          guard.touch();
          buf += decoder.decode(chunk.value, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const obj = parseLine(line);
            if (obj.error !== undefined) throw new LlmError('unavailable', 'LLM provider reported an error');
            const content = obj.message?.content;
            if (typeof content === 'string' && content !== '') yield content;
            if (obj.done === true) return;
          }
          if (buf.length > 1_000_000) throw new LlmError('bad_response', 'LLM provider sent malformed data');
        }
        const tail = buf.trim();
        if (tail) {
          const obj = parseLine(tail);
          if (typeof obj.message?.content === 'string' && obj.message.content !== '') yield obj.message.content;
          if (obj.done === true) return;
        }
        throw new LlmError('bad_response', 'LLM stream ended before the reply was finished');
      } finally {
        guard.dispose();
        if (reader) await reader.cancel().catch(() => undefined);
      }
    },
  };
}
