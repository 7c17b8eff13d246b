// The one small interface every LLM provider implements: a chat in, text deltas out as they arrive.
export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface LlmCall {
  messages: ChatMessage[];
  /** The caller's own key (X-LLM-Key); only the openai provider uses it, as the Bearer key. */
  apiKey?: string | null;
  /** Aborts the upstream request (client gone, shutdown). */
  signal?: AbortSignal;
  maxTokens?: number;
}

export interface LlmProvider {
  readonly name: 'mock' | 'openai' | 'ollama';
  /** Yields text deltas as the provider produces them; throws LlmError. Breaking out aborts upstream. */
  stream(call: LlmCall): AsyncIterable<string>;
}

/**
 * unavailable: connection refused, 5xx; timeout: silent for longer than MENTOR_LLM_TIMEOUT;
 * rejected: 4xx (bad key, unknown model); bad_response: garbage or a stream that ended early;
 * aborted: the caller aborted.
 */
export type LlmErrorKind = 'unavailable' | 'timeout' | 'rejected' | 'bad_response' | 'aborted';

export class LlmError extends Error {
  override name = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An AbortSignal that fires when nothing happened for `idleMs` (touch() on every byte of progress)
 * or when the caller's signal fires.
 */
export class IdleGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  timedOut = false;
  private readonly onOuter = () => this.controller.abort();

  constructor(
    private readonly idleMs: number,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort();
    outer?.addEventListener('abort', this.onOuter, { once: true });
    this.touch();
  }

  get signal() {
    return this.controller.signal;
  }

  get callerAborted() {
    return this.outer?.aborted === true;
  }

  touch() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.idleMs);
    this.timer.unref?.();
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.outer?.removeEventListener('abort', this.onOuter);
    this.controller.abort();
  }

  /** The error to report for a failure after this guard fired. */
  abortError(): LlmError | null {
    if (this.callerAborted) return new LlmError('aborted', 'LLM request aborted');
    if (this.timedOut) return new LlmError('timeout', 'LLM request timed out');
    return null;
  }
}
