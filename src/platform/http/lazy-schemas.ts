// Route schemas compile on first use instead of before `listen`. Fastify builds every route's ajv
// validator and fast-json-stringify serializer while it gets ready; for the whole API that code
// generation was the largest share of a cold start (bench/RESULTS.md, "Cold start"). Each route's
// first request pays for its own schemas instead (a few ms, once). Compiling the rest in the
// background after `listen` was tried and dropped: a compile cannot be interrupted, so it delayed the
// requests arriving meanwhile. `compileAll` lets a test prove that every schema compiles.
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type Fn = (...args: any[]) => any;

export class LazySchemas {
  private readonly pending = new Set<() => unknown>();

  /**
   * A function that compiles itself (once) when first called, then behaves as the compiled one;
   * `compiled()` is the compiled function itself (ajv leaves a failed validation's errors on it).
   */
  wrap<F extends Fn>(compile: () => F): F & { compiled(): F } {
    let compiled: F | undefined;
    const get = (): F => {
      if (compiled === undefined) {
        compiled = compile();
        this.pending.delete(get);
      }
      return compiled;
    };
    this.pending.add(get);
    return Object.assign((...args: unknown[]) => (compiled ?? get())(...args), { compiled: get }) as F & { compiled(): F };
  }

  /** Fastify's own serializer factory (fast-json-stringify), each route's serializer compiled lazily. */
  serializerFactory() {
    const build = SerializerSelector();
    return (externalSchemas: unknown, options: object | undefined) => {
      const compile = build(externalSchemas, options);
      return (route: Parameters<typeof compile>[0]) => this.wrap(() => compile(route));
    };
  }

  get pendingCount() {
    return this.pending.size;
  }

  /** Compiles everything not compiled yet; throws the first schema's error. */
  compileAll() {
    for (const get of [...this.pending]) get();
  }
}
