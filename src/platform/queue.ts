// Background jobs: an in-process queue with retries embedded, BullMQ on Redis in server mode.
// Modules define named jobs once; any role may enqueue; only worker roles process.
import type { Redis } from 'ioredis';
import type { Logger } from './log.js';

export interface JobOptions {
  /** Total tries including the first (default 5). */
  attempts?: number;
  /** First retry delay; doubles each retry (default 1000 ms). */
  backoffMs?: number;
  concurrency?: number;
}

export interface EnqueueOptions {
  delayMs?: number;
  /** Jobs with the same id are enqueued once while pending. */
  jobId?: string;
}

export type JobHandler<T> = (data: T) => Promise<void>;

export interface JobQueue {
  define<T>(name: string, handler: JobHandler<T>, opts?: JobOptions): void;
  enqueue<T>(name: string, data: T, opts?: EnqueueOptions): Promise<void>;
  /** Repeats a job every `everyMs`; only the scheduler role calls this. */
  schedule(name: string, everyMs: number, data?: unknown): Promise<void>;
  startWorkers(): Promise<void>;
  /** Runs every pending job (delays skipped) until none is left: the tests' explicit hook. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

interface Defined {
  handler: JobHandler<unknown>;
  opts: Required<JobOptions>;
}

const DEFAULTS: Required<JobOptions> = { attempts: 5, backoffMs: 1000, concurrency: 4 };

interface MemJob {
  name: string;
  data: unknown;
  attempt: number;
  jobId?: string;
  timer?: NodeJS.Timeout;
}

export class MemoryQueue implements JobQueue {
  private defs = new Map<string, Defined>();
  private pending: MemJob[] = [];
  private ids = new Set<string>();
  private running = new Set<Promise<void>>();
  private intervals: NodeJS.Timeout[] = [];
  private working = false;
  private closed = false;
  constructor(private readonly log: Logger) {}

  define<T>(name: string, handler: JobHandler<T>, opts: JobOptions = {}) {
    this.defs.set(name, { handler: handler as JobHandler<unknown>, opts: { ...DEFAULTS, ...opts } });
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}) {
    if (this.closed) return;
    if (!this.defs.has(name)) throw new Error(`unknown job ${name}`);
    if (opts.jobId) {
      if (this.ids.has(opts.jobId)) return;
      this.ids.add(opts.jobId);
    }
    const job: MemJob = { name, data, attempt: 0, jobId: opts.jobId };
    this.pending.push(job);
    if (this.working) this.arm(job, opts.delayMs ?? 0);
  }

  private arm(job: MemJob, delayMs: number) {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => void this.runOne(job), delayMs);
    job.timer.unref?.();
  }

  private runOne(job: MemJob): Promise<void> {
    const idx = this.pending.indexOf(job);
    if (idx < 0) return Promise.resolve();
    this.pending.splice(idx, 1);
    clearTimeout(job.timer);
    const p = this.execute(job).finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }

  private async execute(job: MemJob) {
    const def = this.defs.get(job.name)!;
    job.attempt += 1;
    try {
      await def.handler(job.data);
      if (job.jobId) this.ids.delete(job.jobId);
    } catch (err) {
      if (job.attempt < def.opts.attempts && !this.closed) {
        this.log.warn({ err, job: job.name, attempt: job.attempt }, 'job failed, retrying');
        this.pending.push(job);
        if (this.working) this.arm(job, def.opts.backoffMs * 2 ** (job.attempt - 1));
      } else {
        if (job.jobId) this.ids.delete(job.jobId);
        this.log.error({ err, job: job.name, attempt: job.attempt }, 'job failed for good');
      }
    }
  }

  async schedule(name: string, everyMs: number, data: unknown = {}) {
    const t = setInterval(() => void this.enqueue(name, data, { jobId: `every:${name}` }), everyMs);
    t.unref?.();
    this.intervals.push(t);
  }

  async startWorkers() {
    this.working = true;
    for (const job of this.pending) this.arm(job, 0);
  }

  async drain() {
    for (;;) {
      if (this.running.size) await Promise.allSettled([...this.running]);
      const job = this.pending[0];
      if (!job) {
        if (!this.running.size) return;
        continue;
      }
      await this.runOne(job);
    }
  }

  async close() {
    this.closed = true;
    for (const t of this.intervals) clearInterval(t);
    for (const j of this.pending) clearTimeout(j.timer);
    await Promise.allSettled([...this.running]);
  }
}

export class BullQueue implements JobQueue {
  private defs = new Map<string, Defined>();
  private queues = new Map<string, import('bullmq').Queue>();
  private workers: import('bullmq').Worker[] = [];
  private workerConnections: Redis[] = [];
  /** Bumped on every local enqueue and job outcome, so drain() can tell a quiet pass from a racing one. */
  private activity = 0;
  constructor(
    private readonly bull: typeof import('bullmq'),
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  private queue(name: string) {
    let q = this.queues.get(name);
    if (!q) {
      q = new this.bull.Queue(name, { connection: this.connection, prefix: this.prefix + 'bull' });
      this.queues.set(name, q);
    }
    return q;
  }

  define<T>(name: string, handler: JobHandler<T>, opts: JobOptions = {}) {
    this.defs.set(name, { handler: handler as JobHandler<unknown>, opts: { ...DEFAULTS, ...opts } });
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}) {
    const def = this.defs.get(name);
    if (!def) throw new Error(`unknown job ${name}`);
    this.activity++;
    await this.queue(name).add(name, data, {
      jobId: opts.jobId,
      delay: opts.delayMs,
      attempts: def.opts.attempts,
      backoff: { type: 'exponential', delay: def.opts.backoffMs },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  async schedule(name: string, everyMs: number, data: unknown = {}) {
    await this.queue(name).upsertJobScheduler(`every:${name}`, { every: everyMs }, { name, data });
  }

  async startWorkers() {
    for (const [name, def] of this.defs) {
      // BullMQ never closes a connection it was handed, so we keep ours to close on shutdown.
      const connection = this.connection.duplicate({ maxRetriesPerRequest: null });
      this.workerConnections.push(connection);
      const w = new this.bull.Worker(name, async (job) => def.handler(job.data), {
        connection,
        prefix: this.prefix + 'bull',
        concurrency: def.opts.concurrency,
      });
      w.on('completed', () => this.activity++);
      w.on('failed', (job, err) => {
        this.activity++;
        this.log.warn({ err, job: name, attempt: job?.attemptsMade }, 'job failed');
      });
      w.on('error', (err) => this.log.error({ err, job: name }, 'worker error'));
      this.workers.push(w);
    }
  }

  async drain() {
    // Promote delayed jobs and wait for workers to empty every queue. A pass counts as quiet only
    // if nothing was enqueued or finished while it ran (a job may enqueue into a queue already counted).
    for (;;) {
      const before = this.activity;
      let busy = 0;
      for (const name of this.defs.keys()) {
        const q = this.queue(name);
        const delayed = await q.getDelayed();
        for (const j of delayed) await j.promote().catch(() => undefined);
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
        busy += Object.values(c).reduce((a, b) => a + b, 0);
      }
      if (!busy && this.activity === before) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  async close() {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await Promise.allSettled(this.workerConnections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
