// The `topic` command is shared by commands/topic.ts and commands/topic-records.ts: whichever registers first
// creates it, the other attaches to the same object, so `stratactl topic --help` lists both sets.
import { strict as assert } from 'node:assert';
import { Command } from 'commander';
import { registerTopicCommands, topicCommand } from '../commands/topic';
import { buildProgram } from '../main';

describe('stratactl topic command', () => {
  it('is created once and shared, whatever registers first', () => {
    const program = new Command('stratactl');
    const early = topicCommand(program).command('produce');
    registerTopicCommands(program);
    assert.equal(program.commands.filter((c) => c.name() === 'topic').length, 1);
    assert.equal(topicCommand(program), early.parent);
    assert.deepEqual(topicCommand(program).commands.map((c) => c.name()), ['produce', 'list', 'describe', 'create', 'alter-config', 'add-partitions', 'delete']);
  });

  it('is registered in the program with its subcommands', () => {
    const program = buildProgram();
    assert.ok(['list', 'describe', 'create', 'alter-config', 'add-partitions', 'delete'].every((n) => topicCommand(program).commands.some((c) => c.name() === n)));
    assert.ok(program.commands.some((c) => c.name() === 'broker'));
  });
});
