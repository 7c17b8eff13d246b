// In-process domain events. Listeners run after the emitting transaction committed;
// a failing listener is logged and never fails the request (heavy work belongs in a job).
import type { Logger } from './log.js';

type Listener = (payload: any) => Promise<void> | void;

export class DomainEvents {
  private listeners = new Map<string, Listener[]>();
  constructor(private readonly log: Logger) {}

  on<T>(name: string, listener: (payload: T) => Promise<void> | void) {
    const list = this.listeners.get(name) ?? [];
    list.push(listener);
    this.listeners.set(name, list);
  }

  async emit<T>(name: string, payload: T) {
    for (const l of this.listeners.get(name) ?? []) {
      try {
        await l(payload);
      } catch (err) {
        this.log.error({ err, event: name }, 'event listener failed');
      }
    }
  }
}
