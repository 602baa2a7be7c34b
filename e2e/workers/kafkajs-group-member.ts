// One member of a KafkaJS consumer group, run as its own node process by the group suites:
//   node kafkajs-group-member.js '{"bootstrap":"127.0.0.1:9092","topic":"t","groupId":"g","name":"m1",…}'
// It subscribes from the beginning, lets KafkaJS auto-commit (after every batch and before rejoining on a
// rebalance, as applications do by default) and prints one JSON line per event on stdout:
//   {"e":"start"} | {"e":"join",memberId,leaderId,isLeader,partitions} | {"e":"gen",generation,memberId}
//   {"e":"rec",p,o,k,v} | {"e":"commit",generation,offsets:{p:o}} | {"e":"crash",error} | {"e":"stopped"}
// "stop" on stdin (or stdin closing, or SIGTERM) disconnects gracefully (LeaveGroup) and exits 0.
// stdout is a pipe, which node writes synchronously on Linux: a line printed before a SIGKILL is not lost.
import * as readline from 'node:readline';
import { createKafka } from '../helpers/kafkajs';

interface Options {
  bootstrap: string;
  topic: string;
  groupId: string;
  name: string;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  maxWaitTimeInMs?: number;
  fromBeginning?: boolean;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...obj, t: Date.now() })}\n`);
}

async function main(): Promise<void> {
  const kafka = createKafka(o.bootstrap, `strata-e2e-${o.name}`, { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 });
  const consumer = kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeout ?? 6000,
    heartbeatInterval: o.heartbeatInterval ?? 500,
    rebalanceTimeout: o.rebalanceTimeout ?? 20_000,
    maxWaitTimeInMs: o.maxWaitTimeInMs ?? 300,
    allowAutoTopicCreation: false,
  });
  const { GROUP_JOIN, HEARTBEAT, COMMIT_OFFSETS, CRASH } = consumer.events;
  let lastGen: number | null = null;
  let joinedSinceGen = false;
  let lastMember: string | null = null;
  consumer.on(GROUP_JOIN, (ev) => {
    const p = ev.payload;
    lastMember = p.memberId;
    joinedSinceGen = true;
    const parts = [...(p.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b);
    emit({ e: 'join', memberId: p.memberId, leaderId: p.leaderId, isLeader: p.isLeader, partitions: parts });
  });
  consumer.on(HEARTBEAT, (ev) => {
    const gen = ev.payload.groupGenerationId;
    if (gen !== lastGen || joinedSinceGen || ev.payload.memberId !== lastMember) {
      lastGen = gen;
      joinedSinceGen = false;
      lastMember = ev.payload.memberId;
      emit({ e: 'gen', generation: gen, memberId: ev.payload.memberId });
    }
  });
  consumer.on(COMMIT_OFFSETS, (ev) => {
    const offsets: Record<string, number> = {};
    for (const t of ev.payload.topics) {
      if (t.topic !== o.topic) continue;
      for (const p of t.partitions) offsets[String(p.partition)] = Number(p.offset);
    }
    emit({ e: 'commit', generation: ev.payload.groupGenerationId, memberId: ev.payload.memberId, offsets });
  });
  consumer.on(CRASH, (ev) => emit({ e: 'crash', error: String(ev.payload.error), restart: ev.payload.restart }));

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await consumer.disconnect();
      emit({ e: 'stopped' });
      process.exit(0);
    } catch (err) {
      emit({ e: 'stop-error', error: String(err) });
      process.exit(3);
    }
  };
  readline.createInterface({ input: process.stdin }).on('line', (l) => {
    if (l.trim() === 'stop') void stop();
  });
  process.stdin.on('end', () => void stop());
  process.on('SIGTERM', () => void stop());

  emit({ e: 'start', pid: process.pid, name: o.name });
  await consumer.connect();
  await consumer.subscribe({ topics: [o.topic], fromBeginning: o.fromBeginning ?? true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      emit({
        e: 'rec',
        p: partition,
        o: Number(message.offset),
        k: message.key?.toString('utf8') ?? null,
        v: message.value?.toString('utf8') ?? null,
        ts: Number(message.timestamp),
      });
    },
  });
}

main().catch((err) => {
  emit({ e: 'fatal', error: String((err as Error)?.stack ?? err) });
  process.exit(2);
});
