// Publish/subscribe between processes: an EventEmitter embedded, Redis in server mode.
// Redis holds one SUBSCRIBE per channel per process, reference-counted across listeners.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

export type Listener = (message: string, channel: string) => void;

export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: Listener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class MemoryPubSub implements PubSub {
  private emitter = new EventEmitter().setMaxListeners(0);
  async publish(channel: string, message: string) {
    this.emitter.emit(channel, message, channel);
  }
  async subscribe(channel: string, listener: Listener) {
    this.emitter.on(channel, listener);
    return async () => {
      this.emitter.off(channel, listener);
    };
  }
  async close() {
    this.emitter.removeAllListeners();
  }
}

export class RedisPubSub implements PubSub {
  private listeners = new Map<string, Set<Listener>>();
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
  ) {
    sub.on('message', (ch: string, msg: string) => {
      const name = ch.slice(this.prefix.length);
      for (const l of this.listeners.get(name) ?? []) l(msg, name);
    });
  }
  async publish(channel: string, message: string) {
    await this.pub.publish(this.prefix + channel, message);
  }
  async subscribe(channel: string, listener: Listener) {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.sub.subscribe(this.prefix + channel);
    }
    set.add(listener);
    return async () => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.listeners.delete(channel);
        await this.sub.unsubscribe(this.prefix + channel).catch(() => undefined);
      }
    };
  }
  async close() {
    this.listeners.clear();
  }
}
