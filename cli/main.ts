/**
 * `ioc-vision <command>`: one entry point, one composition root per command (api, ingest, worker, analyze, ...).
 * Commands are loaded lazily so that `ioc-vision plates read` does not load BullMQ or Fastify.
 */
import type { CliCommand } from './command.types.js';
import { UsageError } from './command.types.js';

const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  // Each line: command name → its module. Keep alphabetical.
  analyze: async () => (await import('./commands/analyze.command.js')).analyzeCommand,
  api: async () => (await import('./commands/api.command.js')).apiCommand,
  audit: async () => (await import('../api/auth/auth.commands.js')).auditCommand,
  demo: async () => (await import('./commands/demo.command.js')).demoCommand,
  faces: async () => (await import('./commands/faces.command.js')).facesCommand,
  ingest: async () => (await import('./commands/ingest.command.js')).ingestCommand,
  migrate: async () => (await import('./commands/migrate.command.js')).migrateCommand,
  plates: async () => (await import('./commands/plates.command.js')).platesCommand,
  pose: async () => (await import('./commands/pose.command.js')).poseCommand,
  users: async () => (await import('../api/auth/auth.commands.js')).usersCommand,
  webhooks: async () => (await import('../workers/webhooks/webhooks.command.js')).webhooksCommand,
  worker: async () => (await import('./commands/worker.command.js')).workerCommand,
};

function help(): string {
  return [
    'usage: ioc-vision <command> [options]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).sort().map((c) => `  ${c}`),
    '',
    'Run `ioc-vision <command> --help` for the options of one command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`ioc-vision: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${cmd.summary}\n\nusage: ${cmd.usage}`);
    return 0;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`ioc-vision: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    const e = err as { code?: string; message?: string };
    // Coded errors (config, model lookup, ...) are expected failures: print the message, not the stack.
    if (e?.code && typeof e.code === 'string' && e.code.startsWith('IOCV_')) console.error(`ioc-vision: [${e.code}] ${e.message}`);
    else console.error(err);
    process.exitCode = 1;
  },
);
