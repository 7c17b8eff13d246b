// Background jobs: the contract both adapters keep (queue-memory.ts embedded, queue-bull.ts on
// Redis in server mode). Modules define named jobs once; any role may enqueue; only worker roles process.

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

/** A defined job: its handler and its options with the defaults filled in. */
export interface Defined {
  handler: JobHandler<unknown>;
  opts: Required<JobOptions>;
}

export const DEFAULTS: Required<JobOptions> = { attempts: 5, backoffMs: 1000, concurrency: 4 };
