// stratactl: the command line for a Strata (or any Kafka) cluster. Talks only the Kafka protocol.
// Commands live one noun per file in commands/; each registers its subcommands here.
import { Command, CommanderError } from 'commander';
import { AdminError } from '../admin/errors';
import { registerAclCommands } from './commands/acl';
import { registerBrokerCommands } from './commands/broker';
import { registerClusterCommands } from './commands/cluster';
import { registerGroupCommands } from './commands/group';
import { registerTierCommands } from './commands/tier';
import { registerTopicCommands } from './commands/topic';
import { registerTopicRecordCommands } from './commands/topic-records';
import { registerUserCommands } from './commands/user';
import { addGlobalOptions, fail } from './context';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';

export function buildProgram(): Command {
  const program = new Command('stratactl')
    .description('Manage a Strata or Apache Kafka cluster over the Kafka protocol')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\nEnvironment: STRATA_BROKERS, STRATA_OUTPUT, STRATA_SASL_USERNAME, STRATA_SASL_PASSWORD, STRATA_TLS_CA…\n\n${EXIT_CODES_HELP}`);
  addGlobalOptions(program);
  // In the order --help lists them: the cluster, then topics and their records, groups, security, tiering.
  registerClusterCommands(program);
  registerBrokerCommands(program);
  registerTopicCommands(program);
  registerTopicRecordCommands(program);
  registerGroupCommands(program);
  registerAclCommands(program);
  registerUserCommands(program);
  registerTierCommands(program);
  // Every subcommand reports usage errors through the same exit code.
  const exitOverride = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; anything else commander refuses is a usage error (it already printed why).
      process.exitCode = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    // An argParser's AdminError('usage') lands here, as does anything unexpected.
    fail(err instanceof AdminError ? err : AdminError.from(err));
  }
}

if (require.main === module) void main(process.argv);
