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
  /** This process's workers take no new job until resumeWorkers() (running ones finish first): the tests hold background work with it. */
  pauseWorkers(): Promise<void>;
  resumeWorkers(): void;
  /** Runs every pending job (delays skipped) until none is left: the tests' explicit hook. */
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Jobs per defined queue by state (the ops page and the `job_queue_jobs` gauge). */
  counts(): Promise<QueueCounts[]>;
  /** Jobs that failed for good (kept for inspection), newest first. */
  failedJobs(limit: number): Promise<FailedJob[]>;
  /** Runs a failed job again; false when it is no longer kept. */
  retry(queue: string, id: string): Promise<boolean>;
  /** Called with each job outcome (the `jobs_processed_total` counter). */
  onOutcome?: (job: string, outcome: 'completed' | 'retried' | 'failed') => void;
}

export interface QueueCounts {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface FailedJob {
  queue: string;
  id: string;
  attempts: number;
  error: string;
  failedAt: string | null;
}

/** How many failed jobs the in-process queue keeps (BullMQ keeps 1000 per queue). */
const KEEP_FAILED = 1000;

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
  private failed: (FailedJob & { job: MemJob })[] = [];
  private failedSeq = 0;
  onOutcome?: JobQueue['onOutcome'];
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
      this.onOutcome?.(job.name, 'completed');
    } catch (err) {
      if (job.attempt < def.opts.attempts && !this.closed) {
        this.onOutcome?.(job.name, 'retried');
        this.log.warn({ err, job: job.name, attempt: job.attempt }, 'job failed, retrying');
        this.pending.push(job);
        if (this.working) this.arm(job, def.opts.backoffMs * 2 ** (job.attempt - 1));
      } else {
        if (job.jobId) this.ids.delete(job.jobId);
        this.onOutcome?.(job.name, 'failed');
        this.failed.unshift({ queue: job.name, id: `f${++this.failedSeq}`, attempts: job.attempt, error: err instanceof Error ? err.message : String(err), failedAt: new Date().toISOString(), job });
        this.failed.length = Math.min(this.failed.length, KEEP_FAILED);
        this.log.error({ err, job: job.name, attempt: job.attempt }, 'job failed for good');
      }
    }
  }

  /** Forgets the jobs that failed for good: the test harness hands one app to the next file, drained first. */
  forgetFailed() {
    this.failed = [];
  }

  async counts(): Promise<QueueCounts[]> {
    return [...this.defs.keys()].sort().map((queue) => ({
      queue,
      waiting: this.pending.filter((j) => j.name === queue).length,
      active: 0,
      delayed: 0,
      failed: this.failed.filter((f) => f.queue === queue).length,
    }));
  }

  async failedJobs(limit: number): Promise<FailedJob[]> {
    return this.failed.slice(0, limit).map(({ queue, id, attempts, error, failedAt }) => ({ queue, id, attempts, error, failedAt }));
  }

  async retry(queue: string, id: string): Promise<boolean> {
    const i = this.failed.findIndex((f) => f.queue === queue && f.id === id);
    if (i < 0) return false;
    const [{ job }] = this.failed.splice(i, 1);
    await this.enqueue(job.name, job.data, { jobId: job.jobId });
    return true;
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

  private paused = false;

  async pauseWorkers() {
    if (!this.working) return;
    this.paused = true;
    this.working = false;
    for (const j of this.pending) clearTimeout(j.timer);
    await Promise.allSettled([...this.running]);
  }

  resumeWorkers() {
    if (this.paused) void this.startWorkers();
    this.paused = false;
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
  private started = false;
  onOutcome?: JobQueue['onOutcome'];
  constructor(
    private readonly bull: typeof import('bullmq'),
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
    /** How long a job's lock lives without renewal: a killed worker's job is taken up again after it. */
    private readonly lockMs = 30_000,
  ) {
    this.connectedOnce = connection.status === 'ready';
    connection.once('ready', () => (this.connectedOnce = true));
  }

  private connectedOnce: boolean;

  private queue(name: string) {
    let q = this.queues.get(name);
    if (!q) {
      q = new this.bull.Queue(name, { connection: this.connection, prefix: this.prefix + 'bull' });
      this.queues.set(name, q);
    }
    return q;
  }

  define<T>(name: string, handler: JobHandler<T>, opts: JobOptions = {}) {
    const def = { handler: handler as JobHandler<unknown>, opts: { ...DEFAULTS, ...opts } };
    const fresh = !this.defs.has(name);
    this.defs.set(name, def);
    // A job defined after the workers started (a late module, a test) gets its worker too.
    if (this.started && fresh) this.startWorker(name, def);
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}) {
    const def = this.defs.get(name);
    if (!def) throw new Error(`unknown job ${name}`);
    // While Redis is away, fail at once (a first Queue would wait for "ready" forever): the outbox
    // keeps the event and its relay retries the enqueue once Redis is back.
    // (Only after a first connect: a process that just started waits for Redis as before.)
    if (this.connectedOnce && this.connection.status !== 'ready') throw new Error(`Connection is closed: Redis ${this.connection.status}, job ${name} not queued`);
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
    this.started = true;
    for (const [name, def] of this.defs) this.startWorker(name, def);
  }

  private startWorker(name: string, def: Defined) {
    // BullMQ never closes a connection it was handed, so we keep ours to close on shutdown.
    const connection = this.connection.duplicate({ maxRetriesPerRequest: null });
    this.workerConnections.push(connection);
    const w = new this.bull.Worker(name, async (job) => def.handler(job.data), {
      connection,
      prefix: this.prefix + 'bull',
      concurrency: def.opts.concurrency,
      lockDuration: this.lockMs,
      stalledInterval: this.lockMs,
    });
    w.on('completed', () => {
      this.activity++;
      this.onOutcome?.(name, 'completed');
    });
    w.on('failed', (job, err) => {
      this.activity++;
      this.onOutcome?.(name, job && job.attemptsMade < (job.opts.attempts ?? 1) ? 'retried' : 'failed');
      this.log.warn({ err, job: name, attempt: job?.attemptsMade }, 'job failed');
    });
    w.on('error', (err) => this.log.error({ err, job: name }, 'worker error'));
    this.workers.push(w);
  }

  async pauseWorkers() {
    await Promise.all(this.workers.map((w) => w.pause()));
  }

  resumeWorkers() {
    for (const w of this.workers) w.resume();
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

  async counts(): Promise<QueueCounts[]> {
    const names = [...this.defs.keys()].sort();
    return Promise.all(
      names.map(async (queue) => {
        const c = await this.queue(queue).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed');
        return { queue, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      }),
    );
  }

  async failedJobs(limit: number): Promise<FailedJob[]> {
    const out: FailedJob[] = [];
    for (const queue of [...this.defs.keys()].sort()) {
      const c = await this.queue(queue).getJobCounts('failed');
      if (!c.failed) continue;
      for (const j of await this.queue(queue).getFailed(0, limit - 1)) {
        out.push({ queue, id: String(j.id), attempts: j.attemptsMade, error: j.failedReason ?? '', failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null });
      }
    }
    return out.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? '')).slice(0, limit);
  }

  async retry(queue: string, id: string): Promise<boolean> {
    if (!this.defs.has(queue)) return false;
    const job = await this.queue(queue).getJob(id);
    if (!job || !(await job.isFailed())) return false;
    this.activity++;
    await job.retry('failed');
    return true;
  }

  async close() {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await Promise.allSettled(this.workerConnections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
