// The embedded job queue: in process, with retries and backoff; jobs are lost with the process
// (embedded mode runs one). Server mode uses queue-bull.ts.
import type { Logger } from './log.js';
import { DEFAULTS, type Defined, type FailedJob, type JobHandler, type JobOptions, type JobQueue, type QueueCounts, type EnqueueOptions } from './queue.js';

/** How many failed jobs the in-process queue keeps (BullMQ keeps 1000 per queue). */
const KEEP_FAILED = 1000;

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
  /** Workers were started and then paused (pauseWorkers): resumeWorkers starts them again. */
  private paused = false;
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
