// The mentor: which LLM provider, its limits, the mentor's rates and streams.
import { bool, ConfigError, int, optStr, parseRate, seconds, str, url, type Env, type RateSpec } from './readers.js';

export interface MentorConfig {
  provider: 'mock' | 'openai' | 'ollama';
  /** OpenAI-compatible: the base the SDK appends `/chat/completions` to; Ollama: the server root. */
  baseUrl: string;
  model: string;
  /** OPENAI_API_KEY; a request's X-LLM-Key overrides it. */
  apiKey: string | null;
  /** MENTOR_LLM_TIMEOUT (seconds, may be fractional): idle bound of every provider call. */
  timeoutMs: number;
  maxTokens: number;
  maxPromptChars: number;
  maxMessages: number;
  /** Scope `mentor` (per user and per IP). */
  rate: RateSpec;
  rpsUser: number;
  rpsGlobal: number;
  maxStreamsPerUser: number;
  heartbeatMs: number;
  asyncDefault: boolean;
  /** Encrypts X-LLM-Key in job payloads; derived from JWT_SIGNING_KEY when unset. */
  keySecret: string | null;
}

export function mentorConfig(env: Env, jwtKey: string | null): MentorConfig {
  const provider = str(env, 'MENTOR_LLM_PROVIDER', 'mock').trim().toLowerCase();
  if (provider !== 'mock' && provider !== 'openai' && provider !== 'ollama') throw new ConfigError(`MENTOR_LLM_PROVIDER must be mock, openai or ollama, got "${provider}"`);
  const baseUrl = url(env, 'MENTOR_LLM_BASE_URL', ['http:', 'https:']);
  const keySecret = optStr(env, 'MENTOR_KEY_SECRET');
  if (keySecret !== null && keySecret.length < 32) throw new ConfigError('MENTOR_KEY_SECRET must be at least 32 characters');
  return {
    provider,
    baseUrl: (baseUrl ?? (provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1')).replace(/\/+$/, ''),
    model: str(env, 'MENTOR_LLM_MODEL', provider === 'ollama' ? 'llama3.2:1b' : 'gpt-4o-mini'),
    apiKey: optStr(env, 'OPENAI_API_KEY'),
    timeoutMs: Math.round(seconds(env, 'MENTOR_LLM_TIMEOUT', 60) * 1000),
    maxTokens: int(env, 'MENTOR_LLM_MAX_TOKENS', 512, 1, 32_768),
    maxPromptChars: int(env, 'MENTOR_LLM_MAX_PROMPT_CHARS', 12_000, 500, 1_000_000),
    maxMessages: int(env, 'MENTOR_LLM_MAX_MESSAGES', 12, 1, 200),
    rate: parseRate('THROTTLE_MENTOR_RATE', str(env, 'THROTTLE_MENTOR_RATE', '20/min')),
    rpsUser: int(env, 'MENTOR_RPS_USER', 2, 1),
    rpsGlobal: int(env, 'MENTOR_RPS_GLOBAL', 20, 1),
    maxStreamsPerUser: int(env, 'MENTOR_MAX_STREAMS_PER_USER', 3, 1, 100_000),
    heartbeatMs: int(env, 'MENTOR_SSE_HEARTBEAT_MS', 15_000, 10, 3_600_000),
    asyncDefault: bool(env, 'INTELLIGENCE_ASYNC_DEFAULT', false),
    keySecret: keySecret ?? jwtKey,
  };
}
