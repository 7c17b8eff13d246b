// `selflink <role|command>`: one code base, one entry point.
// Start-up is on the clock (bench/RESULTS.md, "Cold start"): the application's modules are imported
// while the database opens (PGlite compiles its WebAssembly and reads its files meanwhile), and a
// role never imports the admin commands.
import { ConfigError, loadConfig, type Config } from './config.js';
import { createPlatform } from './platform/index.js';
import type { Ctx } from './context.js';
import type { Command } from './commands/index.js';
import type { App } from './platform/http/app-type.js';

const ROLES = ['serve', 'api', 'realtime', 'worker', 'scheduler', 'migrate'] as const;
type Role = (typeof ROLES)[number];

async function usage(): Promise<never> {
  const { commands } = await import('./commands/index.js');
  const cmds = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(18)} ${c.help}`);
  console.error(
    [
      'usage: selflink <role|command> [options]',
      '',
      'roles:',
      '  serve              everything in one process: API, SSE, WebSocket /ws, worker, scheduler (default)',
      '  api                REST + SSE, OpenAPI, /metrics, /health',
      '  realtime           the WebSocket gateway (/ws, /health, /internal/publish)',
      '  worker             background job processors',
      '  scheduler          installs repeating jobs',
      '  migrate            applies database migrations and exits',
      '',
      'commands:',
      ...cmds,
    ].join('\n'),
  );
  process.exit(2);
}

/** Opens the platform and imports `load`'s modules at the same time; the context once both are ready. */
async function contextWith<T>(config: Config, load: () => Promise<T>): Promise<{ ctx: Ctx; loaded: T }> {
  const platform = createPlatform(config);
  platform.catch(() => undefined); // awaited below; its failure must not count as unhandled meanwhile
  const [{ createContext }, loaded] = await Promise.all([import('./modules/index.js'), load()]);
  return { ctx: createContext(await platform), loaded };
}

const roleModules = () => Promise.all([import('./modules/index.js'), import('./app.js'), import('./realtime/gateway.js')]);
type RoleModules = Awaited<ReturnType<typeof roleModules>>;

async function runRole(role: Role, ctx: Ctx, [{ modules }, { buildApp }, { registerGateway }]: RoleModules) {
  const { config, log } = ctx;
  const closers: (() => Promise<void>)[] = [];
  let app: App | null = null;

  // Only `migrate` (and `serve` with MIGRATE_ON_START) migrates: the other roles may sit behind
  // PgBouncer, where the migration advisory lock does not hold. An embedded database belongs to
  // one process, so the other roles bring it up to date themselves.
  if (role === 'migrate' || (config.database.migrateOnStart && (role === 'serve' || ctx.database.kind === 'pglite'))) await ctx.database.migrate();
  if (role === 'migrate') {
    log.info('migrations applied');
    // Close every pool, queue and Redis connection so the process ends (a compose service or a
    // Kubernetes Job completes); exit explicitly in case a client library keeps a handle open.
    await ctx.close();
    process.exit(0);
  }
  if (role === 'serve' || role === 'api' || role === 'realtime') {
    // The WebSocket gateway runs in `realtime` and inside `serve`.
    const gateway = role === 'api' ? undefined : (a: App) => registerGateway(a, ctx);
    app = await buildApp(ctx, { api: role !== 'realtime', extend: gateway });
    await app.listen({ host: config.host, port: config.port });
    closers.push(() => app!.close());
  }
  if ((role === 'worker' || role === 'scheduler') && config.healthPort !== null) {
    // Background roles answer GET /health only (Kubernetes probes), on their own port.
    app = await buildApp(ctx, { api: false });
    await app.listen({ host: config.host, port: config.healthPort });
    closers.push(() => app!.close());
  }
  // A long-running role opens the pool's kept connections now rather than in its first burst.
  if (role !== 'scheduler') ctx.database.warm?.(config.database.poolMin);
  if (role === 'serve' || role === 'worker') await ctx.queue.startWorkers();
  // The outbox relay: committed domain events to their listeners (any number of processes may run it).
  if (role === 'serve' || role === 'api' || role === 'worker') ctx.events.start();
  if (role === 'serve' || role === 'scheduler') for (const m of modules) await m.schedules?.(ctx);
  log.info({ role, mode: ctx.database.kind, redis: Boolean(ctx.redis) }, 'selflink started');

  // Graceful shutdown: stop accepting, let in-flight requests finish, stop jobs, close the database.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    timer.unref();
    for (const c of closers) await c().catch((err) => log.error({ err }, 'close failed'));
    await ctx.close().catch((err) => log.error({ err }, 'platform close failed'));
    clearTimeout(timer);
    log.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

async function main() {
  const [name = 'serve', ...args] = process.argv.slice(2);
  if (name === '--help' || name === '-h' || name === 'help') await usage();
  const isRole = (ROLES as readonly string[]).includes(name);
  const commands: Record<string, Command> = isRole ? {} : (await import('./commands/index.js')).commands;
  // `selflink <command> --help` needs no configuration, database or Redis.
  const helped = commands[name];
  if (helped && (args.includes('--help') || args.includes('-h'))) {
    console.log(helped.usage ?? `usage: selflink ${name}\n\n${helped.help}`);
    process.exit(0);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(78);
    }
    throw err;
  }
  if (isRole) {
    const { ctx, loaded } = await contextWith(config, roleModules);
    await runRole(name as Role, ctx, loaded);
    return;
  }
  const cmd = commands[name];
  if (!cmd) await usage();
  const { ctx } = await contextWith(config, async () => undefined);
  let code = 0;
  try {
    // Admin commands never migrate a server database (PgBouncer breaks the migration lock):
    // `selflink migrate` does. An embedded one is private to this process and migrated here.
    if (cmd.migrate !== false && ctx.database.kind === 'pglite') await ctx.database.migrate();
    code = (await cmd.run(ctx, args)) ?? 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    code = 1;
  } finally {
    await ctx.close();
  }
  process.exit(code);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(78);
  }
  console.error(err);
  process.exit(1);
});
