import { readFileSync } from 'node:fs';
import {
  ByrobotApiError,
  ByrobotAuthError,
  ByrobotClient,
  ByrobotClockSkewError,
  ByrobotImportError,
  ByrobotTransportError,
} from '../shared/byrobot/index.ts';
import { withColour } from './colour.ts';
import {
  CliError,
  type CommandDef,
  commandHelp,
  EXIT,
  PROGRAM,
  parseCommandArgs,
  UsageError,
} from './command.ts';
import { callbacksRejectedCommand } from './commands/callbacks.ts';
import { callsListCommand, callsShowCommand } from './commands/calls.ts';
import { companiesCommand, phonesCommand, robotsCommand } from './commands/companies.ts';
import { customersPendingCommand } from './commands/customers.ts';
import {
  deliveriesListCommand,
  deliveriesReplayCommand,
  deliveriesResumeCommand,
  deliveriesShowCommand,
} from './commands/deliveries.ts';
import { doctorCommand } from './commands/doctor.ts';
import { eventsTailCommand } from './commands/events.ts';
import {
  eventsForwardCommand,
  eventsReplayCommand,
  eventsTriggerCommand,
} from './commands/events-delivery.ts';
import { customersImportCommand } from './commands/import.ts';
import { pollCommand } from './commands/poll.ts';
import { rulesTestCommand } from './commands/rules.ts';
import {
  tasksCreateCommand,
  tasksDeleteCommand,
  tasksListCommand,
  tasksPauseCommand,
  tasksShowCommand,
  tasksStartCommand,
  tasksStopCommand,
} from './commands/tasks.ts';
import { webhookSendCommand } from './commands/webhook.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { CliIo } from './io.ts';

export type { CliIo, TextSink } from './io.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandDef[] = [
  companiesCommand,
  robotsCommand,
  phonesCommand,
  tasksListCommand,
  tasksShowCommand,
  tasksCreateCommand,
  tasksStartCommand,
  tasksPauseCommand,
  tasksStopCommand,
  tasksDeleteCommand,
  customersImportCommand,
  customersPendingCommand,
  callsListCommand,
  callsShowCommand,
  callbacksRejectedCommand,
  rulesTestCommand,
  pollCommand,
  eventsTailCommand,
  eventsTriggerCommand,
  eventsForwardCommand,
  eventsReplayCommand,
  deliveriesListCommand,
  deliveriesShowCommand,
  deliveriesReplayCommand,
  deliveriesResumeCommand,
  webhookSendCommand,
  doctorCommand,
];

const GROUPS = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Operate byrobot (百应) calling tasks from a terminal: companies, robots, caller lines, tasks,',
    'customer imports and call results.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --help, and --json to print JSON instead of tables.',
    '',
    'Configuration (environment): BYROBOT_BASE_URL, BYROBOT_APP_KEY, BYROBOT_APP_SECRET.',
    '`npm run sim` starts the local simulator and prints the values to export.',
    '',
    'Exit codes: 0 ok, 1 failure, 2 import with rejected rows, 64 usage error, 78 configuration missing.',
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} ${group} <${commands.map((c) => c.name.split(' ')[1]).join('|')}> [options]`,
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run '${PROGRAM} ${group} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** Edit distance (insertions, deletions, substitutions): how far a typo is from a command. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * The command a mistyped one most likely meant (`task list` → `tasks list`, `compnies` →
 * `companies`): the nearest command or group within a third of its length, or none.
 */
export function nearestCommand(words: string[]): string | undefined {
  const typed = words.join(' ');
  const names = [...COMMANDS.map((c) => c.name), ...GROUPS];
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(typed, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d > 0 && best.d <= Math.max(1, Math.floor(best.name.length / 3))
    ? best.name
    : undefined;
}

/** Finds the command named by the leading words of argv; returns it with the remaining arguments. */
function resolve(
  argv: string[],
): { command: CommandDef; rest: string[] } | { help: string; usageError?: string } {
  const [first, second] = argv;
  if (first === undefined) return { help: topLevelHelp(), usageError: 'no command given' };
  if (first !== undefined && GROUPS.includes(first)) {
    const command = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (command) return { command, rest: argv.slice(2) };
    if (second === undefined) return { help: groupHelp(first), usageError: `${first} needs a command` };
    if (isHelp(second)) return { help: groupHelp(first) };
    return { help: groupHelp(first), usageError: `unknown command ${JSON.stringify(`${first} ${second}`)}` };
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (command) return { command, rest: argv.slice(1) };
  return { help: topLevelHelp(), usageError: `unknown command ${JSON.stringify(first)}` };
}

/**
 * Runs one CLI invocation and returns its exit code. Never throws and never exits the process, so
 * tests call it in-process and read what it wrote.
 */
export async function run(rawArgv: string[], plainIo: CliIo): Promise<number> {
  // Colour on a terminal only, off with NO_COLOR, FORCE_COLOR honoured (cli/colour.ts).
  const io = withColour(plainIo);
  // `--json` before the command (`byrobot-bridge --json companies`) means the same as after it.
  let leading = 0;
  while (rawArgv[leading] === '--json') leading++;
  const argv = [...rawArgv.slice(leading), ...rawArgv.slice(0, leading)];
  const [first] = argv;
  if (isHelp(first) || first === 'help') {
    // `help tasks list` reads like `tasks list --help`.
    const rest = argv.slice(1);
    if (first === 'help' && rest.length > 0) return run([...rest, '--help'], io);
    io.stdout.write(topLevelHelp());
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${PROGRAM} ${version()}\n`);
    return EXIT.ok;
  }

  const found = resolve(argv);
  if ('help' in found) {
    if (found.usageError === undefined) {
      io.stdout.write(found.help);
      return EXIT.ok;
    }
    // A typo: name the command it most likely meant instead of printing the whole help.
    const typed = argv.filter((a) => !a.startsWith('-')).slice(0, 2);
    const meant =
      found.usageError.startsWith('unknown command') &&
      (nearestCommand(typed) ?? (typed.length > 1 ? nearestCommand(typed.slice(0, 1)) : undefined));
    if (meant) {
      io.stderr.write(
        `error: ${found.usageError}. Did you mean '${PROGRAM} ${meant}'?\nRun '${PROGRAM} --help' for every command.\n`,
      );
      return EXIT.usage;
    }
    io.stderr.write(`error: ${found.usageError}\n\n${found.help}`);
    return EXIT.usage;
  }
  const { command, rest } = found;
  try {
    const { args, help, json } = parseCommandArgs(command, rest);
    if (help) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    // Configuration is read once, when the command first needs byrobot: after its own checks of
    // the arguments (so a typo is reported as such even without configuration) and before any request.
    let client: ByrobotClient | undefined;
    const context = {
      io,
      json,
      get client() {
        client ??= new ByrobotClient(loadConfig(io.env));
        return client;
      },
    };
    return await command.run(context, args);
  } catch (error) {
    return report(error, command, io);
  }
}

/** Prints an error the way an operator can act on it and picks the exit code. */
function report(error: unknown, command: CommandDef, io: CliIo): number {
  const write = (line: string) => io.stderr.write(`${line}\n`);
  if (error instanceof UsageError) {
    const def = error.command ?? command;
    const usage = `Usage: ${PROGRAM} ${def.usage}`;
    write(`error: ${error.message}\n\n${usage}\nRun '${PROGRAM} ${def.name} --help' for details.`);
    return EXIT.usage;
  }
  if (error instanceof ConfigError) {
    write(`error: ${error.message}`);
    return EXIT.config;
  }
  if (error instanceof ByrobotImportError) {
    const s = error.summary;
    write(
      `error: import stopped at customer ${error.failedAt + 1}: ${s.requests} request(s) with ${s.submitted} customers were accepted before it; running the same import again is safe (byrobot counts those as repeats)`,
    );
    return report(error.cause, command, io);
  }
  if (error instanceof ByrobotApiError) {
    write(`byrobot error ${error.code}: ${error.resultMsg || '(no message)'}`);
    // The typed errors for a refused signature, permission or clock say what to fix.
    if (error instanceof ByrobotAuthError || error instanceof ByrobotClockSkewError)
      write(`hint: ${error.message}`);
    if (error.requestId) write(`request id: ${error.requestId}`);
    return EXIT.failure;
  }
  if (error instanceof ByrobotTransportError) {
    write(`transport error (${error.kind}): ${error.message}`);
    return EXIT.failure;
  }
  if (error instanceof CliError) {
    write(`error: ${error.message}`);
    return EXIT.failure;
  }
  write(`error: ${error instanceof Error ? error.message : String(error)}`);
  if (io.env.BYROBOT_CLI_DEBUG && error instanceof Error && error.stack) write(error.stack);
  return EXIT.failure;
}
