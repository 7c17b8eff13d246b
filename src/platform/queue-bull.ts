// The server-mode job queue: BullMQ on Redis, shared by every process of a deployment.
import type { Redis } from 'ioredis';
import type { Logger } from './log.js';
import { DEFAULTS, type Defined, type FailedJob, type JobHandler, type JobOptions, type JobQueue, type QueueCounts, type EnqueueOptions } from './queue.js';

/** How long close() lets a starting worker finish its start. */
const STARTING_WAIT_MS = 2000;

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

/** Quits a connection and waits until it has ended: the commands it failed have then failed. */
async function closeConnection(c: Redis) {
  if (c.status === 'end') return;
  const ended = new Promise((resolve) => c.once('end', resolve));
  await c.quit().catch(() => c.disconnect());
  await within(ended, STARTING_WAIT_MS);
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
    // A worker closed while its connections still start leaves their start-up commands to fail with
    // no one listening (unhandled "Connection is closed." rejections): each finishes starting first,
    // for a bounded time (Redis may be away).
    await Promise.all(this.workers.map((w) => within(w.waitUntilReady(), STARTING_WAIT_MS)));
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await Promise.all(this.workerConnections.map(closeConnection));
  }
}
