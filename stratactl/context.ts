// The options every stratactl command shares (brokers, TLS, SASL, output) and the runner that connects,
// runs a command, prints its View and turns failures into a message on stderr and a documented exit code.
import { type Command, Option } from 'commander';
import { ClusterClient } from '../admin/cluster-client';
import { clusterClientOptions, type ConnectionSettings } from '../admin/connection-settings';
import { AdminError } from '../admin/errors';
import { ExitCode, exitCodeOf } from './exit-codes';
import { OUTPUT_FORMATS, type OutputFormat, render, type View } from './output';

export interface GlobalOptions extends ConnectionSettings {
  output: OutputFormat;
}

/** Adds the shared options to the root command; each also reads an environment variable. */
export function addGlobalOptions(program: Command): void {
  program
    .addOption(new Option('-b, --brokers <host:port,...>', 'bootstrap brokers').env('STRATA_BROKERS').default('localhost:9092'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS as string[]).env('STRATA_OUTPUT').default('table'))
    .addOption(new Option('--timeout <ms>', 'connect and request timeout').env('STRATA_TIMEOUT_MS').default(30_000).argParser(positiveInt('--timeout')))
    .addOption(new Option('--tls', 'connect with TLS (implied by the other --tls-* options)').env('STRATA_TLS'))
    .addOption(new Option('--tls-ca <file>', 'PEM file of the CA that signed the brokers’ certificates').env('STRATA_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'client certificate (PEM) for mutual TLS').env('STRATA_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'client private key (PEM) for mutual TLS').env('STRATA_TLS_KEY'))
    .addOption(new Option('--tls-server-name <name>', 'name to verify in the brokers’ certificates').env('STRATA_TLS_SERVER_NAME'))
    .addOption(new Option('--sasl-mechanism <mechanism>', 'SASL mechanism').choices(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']).env('STRATA_SASL_MECHANISM'))
    .addOption(new Option('--sasl-username <name>', 'SASL user name').env('STRATA_SASL_USERNAME'))
    .addOption(new Option('--sasl-password <password>', 'SASL password (prefer the environment variable)').env('STRATA_SASL_PASSWORD'));
}

/** A commander argParser for a positive integer flag. */
export function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new AdminError(`${flag} must be a positive integer, got "${v}"`, 'usage');
    return n;
  };
}

/** A commander argParser for a non-negative integer (offsets, counts). */
export function nonNegativeInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new AdminError(`${flag} must be a non-negative integer, got "${v}"`, 'usage');
    return n;
  };
}

export interface CommandContext {
  readonly options: GlobalOptions;
  /** The cluster connection, opened on first use and closed after the command. */
  cluster(): ClusterClient;
  /** Where commands that stream (consume, produce results) write; tests capture it through the process. */
  readonly stdout: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
}

/**
 * Wraps a command's action: builds the context from the global options, runs it, prints the returned View in
 * the chosen format, and sets the process exit code. Never throws: errors become "stratactl: …" on stderr.
 */
export function action<A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<View | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const options = cmd.optsWithGlobals<GlobalOptions>();
    let client: ClusterClient | undefined;
    const ctx: CommandContext = {
      options,
      cluster: () => (client ??= new ClusterClient(clusterClientOptions(options, 'stratactl'))),
      stdout: process.stdout,
      stdin: process.stdin,
    };
    try {
      const view = await fn(ctx, ...args);
      if (view) process.stdout.write(render(view, options.output));
      process.exitCode = ExitCode.OK;
    } catch (err) {
      fail(err);
    } finally {
      await client?.close();
    }
  };
}

/** Prints a failure and sets its exit code. */
export function fail(err: unknown): void {
  const e = AdminError.from(err);
  process.stderr.write(`stratactl: ${e.message}\n`);
  process.exitCode = exitCodeOf(e.kind);
}
