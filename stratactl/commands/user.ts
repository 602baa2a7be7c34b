// stratactl user list|create|delete: SASL/SCRAM users (DescribeUserScramCredentials, AlterUserScramCredentials).
// The password is salted and hashed here; only the salted password reaches the cluster. Prefer --password-stdin
// (or STRATA_USER_PASSWORD) to --password, which other local users can read from the process list.
import { type Command, Option } from 'commander';
import { AdminError } from '../../admin/errors';
import { deleteScramUser, describeScramUsers, SCRAM_ITERATIONS, SCRAM_MECHANISMS, type ScramMechanism, upsertScramCredential } from '../../admin/users';
import { action, type CommandContext, positiveInt } from '../context';

interface CreateFlags {
  password?: string;
  passwordStdin?: boolean;
  mechanism: ScramMechanism;
  iterations: number;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** The password from --password or stdin (its first line, as `docker login --password-stdin` reads it). */
async function passwordOf(ctx: CommandContext, f: CreateFlags): Promise<string> {
  if ((f.password !== undefined) === (f.passwordStdin === true)) throw new AdminError('give the password with exactly one of --password-stdin or --password', 'usage');
  const password = f.password ?? (await readAll(ctx.stdin)).split(/\r?\n/)[0]!;
  if (password === '') throw new AdminError('the password must not be empty', 'usage');
  return password;
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('SASL/SCRAM users');

  user
    .command('list')
    .description('every user with a SCRAM credential')
    .action(
      action(async (ctx) => {
        const users = await describeScramUsers(await ctx.cluster().any());
        return {
          data: users,
          tables: [{ columns: ['user', 'mechanisms'], rows: users.map((u) => [u.user, u.credentials.map((c) => `${c.mechanism} (${c.iterations} iterations)`).join(', ')]) }],
        };
      }),
    );

  user
    .command('create <name>')
    .description("create a user or set its password (SCRAM credential)")
    .option('--password-stdin', 'read the password from the first line of stdin')
    .addOption(new Option('--password <password>', 'the password (prefer --password-stdin or the environment variable)').env('STRATA_USER_PASSWORD'))
    .addOption(new Option('--mechanism <mechanism>', 'SCRAM mechanism').choices(SCRAM_MECHANISMS as string[]).default('SCRAM-SHA-512'))
    .addOption(new Option('--iterations <n>', 'PBKDF2 iterations (4096–16384)').default(SCRAM_ITERATIONS).argParser(positiveInt('--iterations')))
    .action(
      action(async (ctx, name: string, flags: CreateFlags) => {
        const password = await passwordOf(ctx, flags);
        await upsertScramCredential(await ctx.cluster().any(), name, password, flags.mechanism, flags.iterations);
        return { data: { user: name, mechanism: flags.mechanism, iterations: flags.iterations }, tables: [`User ${name} can log in with ${flags.mechanism}`] };
      }),
    );

  user
    .command('delete <name>')
    .description('remove every SCRAM credential of a user (exit 3 when it has none)')
    .action(
      action(async (ctx, name: string) => {
        const mechanisms = await deleteScramUser(await ctx.cluster().any(), name);
        return { data: { user: name, deleted: mechanisms }, tables: [`Deleted user ${name} (${mechanisms.join(', ')})`] };
      }),
    );
}
