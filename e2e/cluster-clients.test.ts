// Cluster mode, clients follow leadership (issue 10): kcat (librdkafka), KafkaJS and the Java client each keep
// one producer and one consumer running while the leader of their partition is killed (kill -9, so nothing is
// handed over politely). Without a restart, every producer's records written after the change arrive, and every
// consumer (KafkaJS and Java in consumer groups, kcat on the partition) sees every client's records from after
// the change: the clients found the new leader (and the new group coordinator) from Metadata and FindCoordinator.
// (kcat -P hands its input to librdkafka only when the input ends, so the kcat producer — started, with the old
// leader in its metadata, before the change — delivers all its lines after the change, when the test closes it.)
import { strict as assert } from 'node:assert';
import type { Consumer, Producer } from 'kafkajs';
import { startJava } from './helpers/client-process';
import { useCluster } from './helpers/cluster';
import { requireJavaClient } from './helpers/java';
import { useClientProcesses } from './helpers/json-process';
import { createKafka } from './helpers/kafkajs';
import { KcatProcess, KcatProducer, requireKcat } from './helpers/kcat';
import { uniqueName, waitFor, withTimeout } from './helpers/util';

const FOLLOW_MS = 60_000;
const range = (label: string, n: number) => Array.from({ length: n }, (_, i) => `${label}-${i}`);

describe('cluster: kcat, KafkaJS and Java follow a leadership change', function () {
  this.timeout(180_000);
  let kafkajsProducer: Producer | undefined;
  let kafkajsConsumer: Consumer | undefined;
  let kcatConsumer: KcatProcess | undefined;
  let kcatProducer: KcatProducer | undefined;
  const disconnectKafkajs = () =>
    withTimeout(Promise.all([kafkajsProducer?.disconnect(), kafkajsConsumer?.disconnect()]), 15_000, 'KafkaJS disconnect').catch(() => undefined);

  // Registered before useCluster so it runs first (mocha runs `after` hooks in order): KafkaJS clients left
  // connected to a cluster that is gone keep the process from exiting.
  after(async function () {
    this.timeout(30_000);
    kcatConsumer?.kill();
    kcatProducer?.kill();
    await disconnectKafkajs();
  });
  const ref = useCluster({ name: 'clients' });
  const procs = useClientProcesses();

  it('each producer and consumer carries on without a restart', async () => {
    requireJavaClient();
    requireKcat();
    const c = ref.cluster;
    const topic = uniqueName('follow');
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });

    const kafka = createKafka(c.bootstrap, 'strata-e2e-follow', { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 });
    kafkajsProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await kafkajsProducer.connect();
    kafkajsConsumer = kafka.consumer({ groupId: uniqueName('follow-kafkajs'), sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await kafkajsConsumer.connect();
    await kafkajsConsumer.subscribe({ topic, fromBeginning: true });
    const kafkajsSeen = new Set<string>();
    await kafkajsConsumer.run({ eachMessage: async ({ message }) => void kafkajsSeen.add(message.key?.toString() ?? '') });

    kcatProducer = new KcatProducer(c.bootstrap, topic, ['-K', ':', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5']);
    kcatConsumer = new KcatProcess(['-b', c.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-u', '-q', '-f', '%k\n']);
    const kcatSeen = () => new Set(kcatConsumer!.lines());
    const javaProducer = startJava('idem-produce', [c.bootstrap, topic, 1, 20], { name: 'java idem-produce' });
    const javaConsumer = startJava('group-consume', [c.bootstrap, topic, uniqueName('follow-java')], { name: 'java group-consume' });
    procs.push(javaProducer, javaConsumer);
    const javaSeen = () => new Set(javaConsumer.lines.filter((l) => typeof l.o === 'number').map((l) => l.k as string));
    const javaAcked = () => javaProducer.lines.filter((l) => typeof l.ack === 'number').map((l) => `k-${l.ack as number}`);

    /** Waits until every consumer has seen every key; the error names what each one is missing. */
    const allSeen = async (keys: string[], what: string) => {
      const missing = () =>
        Object.entries({ kafkajs: kafkajsSeen, kcat: kcatSeen(), java: javaSeen() })
          .map(([name, seen]) => [name, keys.filter((k) => !seen.has(k))] as const)
          .filter(([, m]) => m.length > 0);
      await waitFor(() => missing().length === 0, { timeoutMs: FOLLOW_MS, what }).catch((err: Error) => {
        throw new Error(`${err.message}; missing: ${JSON.stringify(Object.fromEntries(missing()))}; kcat stderr: ${kcatConsumer?.stderr.slice(-500)}`);
      });
    };

    await kafkajsProducer.send({ topic, acks: -1, messages: range('js-before', 5).map((key) => ({ key, value: key })) });
    kcatProducer.write(range('kc-before', 5).map((k) => `${k}:${k}`));
    await waitFor(() => javaAcked().length >= 5, { timeoutMs: 30_000, what: 'Java acknowledgements before the change' });
    await allSeen([...range('js-before', 5), ...javaAcked().slice(0, 5)], 'every consumer to see the KafkaJS and Java producers before the change');

    const old = (await c.waitForIsr(topic, 0, 3, 30_000)).leader;
    await c.kill(old, 'SIGKILL');
    const now = await c.waitForLeader(topic, 0, (v) => v.leader !== old, 30_000);

    const javaBefore = javaAcked().length;
    await withTimeout(kafkajsProducer.send({ topic, acks: -1, messages: range('js-after', 5).map((key) => ({ key, value: key })) }), FOLLOW_MS, 'KafkaJS send after the change');
    kcatProducer.write(range('kc-after', 5).map((k) => `${k}:${k}`));
    await kcatProducer.close(FOLLOW_MS);
    await waitFor(() => javaAcked().length >= javaBefore + 20, { timeoutMs: FOLLOW_MS, what: 'Java acknowledgements after the change' });
    await allSeen(
      [...range('js-after', 5), ...range('kc-before', 5), ...range('kc-after', 5), ...javaAcked().slice(javaBefore, javaBefore + 20)],
      `every consumer to see every producer after the change (leader ${old} → ${now.leader})`,
    );

    await javaProducer.stop(30_000);
    const nacks = javaProducer.lines.filter((l) => typeof l.nack === 'number');
    assert.deepEqual(nacks.slice(0, 3), [], `${nacks.length} Java sends failed`);
    await disconnectKafkajs();
  });
});
