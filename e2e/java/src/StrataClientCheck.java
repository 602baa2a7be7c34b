// Drives the Apache Kafka Java client (kafka-clients 4.x) against a Strata broker for the e2e suite
// e2e/java-client.test.ts. Single-file source program, run without a compile step:
//
//   java -Xmx256m -cp 'e2e/java/target/lib/*' e2e/java/src/StrataClientCheck.java <command> <bootstrap> [args…]
//
// Every result is printed to stdout as one JSON object per line; the TypeScript test asserts on them.
// Failures print {"error": …} and exit with status 2. Every client call has a deadline.

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class StrataClientCheck {
    static final long TIMEOUT_S = 30;

    public static void main(String[] args) {
        if (args.length < 2) {
            fail("usage: StrataClientCheck <command> <bootstrap> [args…]", null);
        }
        String cmd = args[0];
        String bootstrap = args[1];
        List<String> rest = Arrays.asList(args).subList(2, args.length);
        try {
            switch (cmd) {
                case "describe-cluster" -> describeCluster(bootstrap);
                case "create-topic" -> createTopic(bootstrap, rest);
                case "describe-topic" -> describeTopic(bootstrap, rest.get(0));
                case "alter-config" -> alterConfig(bootstrap, rest);
                case "describe-config" -> describeConfig(bootstrap, rest.get(0));
                case "produce" -> produce(bootstrap, rest);
                case "consume" -> consume(bootstrap, rest);
                case "list-offsets" -> listOffsets(bootstrap, rest.get(0), Integer.parseInt(rest.get(1)));
                case "delete-records" -> deleteRecords(bootstrap, rest.get(0), Integer.parseInt(rest.get(1)), Long.parseLong(rest.get(2)));
                // Consumer groups, idempotent producer and benchmark commands (group / idempotence suites, bench/e2e-latency.ts).
                case "group-consume" -> groupConsume(bootstrap, rest);
                case "groups-list" -> groupsList(bootstrap, rest);
                case "groups-describe" -> groupsDescribe(bootstrap, rest);
                case "group-offsets" -> groupOffsets(bootstrap, rest.get(0));
                case "group-offsets-alter" -> groupOffsetsAlter(bootstrap, rest);
                case "group-offsets-delete" -> groupOffsetsDelete(bootstrap, rest);
                case "groups-delete" -> groupsDelete(bootstrap, rest);
                case "admin-batch" -> adminBatch(bootstrap, rest);
                case "idem-produce" -> idemProduce(bootstrap, rest);
                case "bench-produce" -> benchProduce(bootstrap, rest);
                case "bench-consume" -> benchConsume(bootstrap, rest);
                case "txn-shell" -> txnShell(bootstrap, rest);
                case "txn-process" -> txnProcess(bootstrap, rest);
                case "txn-read" -> txnRead(bootstrap, rest);
                case "txn-describe" -> txnDescribe(bootstrap, rest);
                case "acl-create" -> aclCreate(bootstrap, rest);
                case "acl-describe" -> aclDescribe(bootstrap, rest, false);
                case "acl-delete" -> aclDescribe(bootstrap, rest, true);
                case "quota-alter" -> quotaAlter(bootstrap, rest);
                case "quota-describe" -> quotaDescribe(bootstrap);
                // SCRAM credentials (security suite): scram-upsert <user> <SCRAM-SHA-256|512> <iterations> <password>, scram-delete <user> <mech>, scram-describe [user…]
                case "scram-upsert" -> scramAlter(bootstrap, new UserScramCredentialUpsertion(rest.get(0), new ScramCredentialInfo(ScramMechanism.fromMechanismName(rest.get(1)), Integer.parseInt(rest.get(2))), rest.get(3)));
                case "scram-delete" -> scramAlter(bootstrap, new UserScramCredentialDeletion(rest.get(0), ScramMechanism.fromMechanismName(rest.get(1))));
                case "scram-describe" -> scramDescribe(bootstrap, rest);
                default -> fail("unknown command " + cmd, null);
            }
        } catch (Throwable t) {
            fail(cmd + " failed", t);
        }
        System.out.flush();
        System.exit(0);
    }

    // ---------------------------------------------------------------------------------------------- admin

    /**
     * Properties every client starts from: empty, or the Java properties file named by $STRATA_CLIENT_PROPERTIES
     * (security.protocol, sasl.*, ssl.* for the security suite).
     */
    static Properties clientProps() {
        Properties p = new Properties();
        String file = System.getenv("STRATA_CLIENT_PROPERTIES");
        if (file != null && !file.isEmpty()) {
            try (java.io.FileReader r = new java.io.FileReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return p;
    }

    static void scramAlter(String bootstrap, UserScramCredentialAlteration alteration) throws Exception {
        try (Admin a = admin(bootstrap)) {
            String error = null;
            try {
                a.alterUserScramCredentials(List.of(alteration)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                error = errorName(e.getCause());
            }
            emit(map("cmd", "scram-alter", "user", alteration.user(), "failure", error));
        }
    }

    static void scramDescribe(String bootstrap, List<String> users) throws Exception {
        try (Admin a = admin(bootstrap)) {
            DescribeUserScramCredentialsResult r = users.isEmpty() ? a.describeUserScramCredentials() : a.describeUserScramCredentials(users);
            Map<String, Object> out = new TreeMap<>();
            // users() lists only users that have credentials; named users are looked up one by one (errors included).
            Collection<String> names = users.isEmpty() ? r.users().get(TIMEOUT_S, TimeUnit.SECONDS) : users;
            for (String u : names) {
                List<Object> infos = new ArrayList<>();
                try {
                    for (ScramCredentialInfo i : r.description(u).get(TIMEOUT_S, TimeUnit.SECONDS).credentialInfos()) {
                        infos.add(map("mechanism", i.mechanism().mechanismName(), "iterations", i.iterations()));
                    }
                    out.put(u, infos);
                } catch (java.util.concurrent.ExecutionException e) {
                    out.put(u, errorName(e.getCause()));
                }
            }
            emit(map("cmd", "scram-describe", "users", out));
        }
    }

    static Admin admin(String bootstrap) {
        Properties p = clientProps();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "strata-e2e-java-admin");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "25000");
        p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "200");
        return Admin.create(p);
    }

    static void describeCluster(String bootstrap) throws Exception {
        try (Admin a = admin(bootstrap)) {
            DescribeClusterResult r = a.describeCluster();
            String clusterId = r.clusterId().get(TIMEOUT_S, TimeUnit.SECONDS);
            Node controller = r.controller().get(TIMEOUT_S, TimeUnit.SECONDS);
            Collection<Node> nodes = r.nodes().get(TIMEOUT_S, TimeUnit.SECONDS);
            List<Object> ns = new ArrayList<>();
            for (Node n : nodes) ns.add(node(n));
            emit(map("cmd", "describe-cluster", "clusterId", clusterId, "controller", controller == null ? null : node(controller), "nodes", ns));
        }
    }

    static Map<String, Object> node(Node n) {
        return map("id", n.id(), "host", n.host(), "port", n.port(), "rack", n.rack());
    }

    /** create-topic <topic> <partitions> [config=value…] */
    static void createTopic(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        int partitions = Integer.parseInt(args.get(1));
        Map<String, String> configs = new LinkedHashMap<>();
        for (String kv : args.subList(2, args.size())) {
            int eq = kv.indexOf('=');
            configs.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        try (Admin a = admin(bootstrap)) {
            NewTopic nt = new NewTopic(topic, partitions, (short) 1).configs(configs);
            CreateTopicsResult r = a.createTopics(List.of(nt));
            r.all().get(TIMEOUT_S, TimeUnit.SECONDS);
            emit(map("cmd", "create-topic", "topic", topic, "topicId", String.valueOf(r.topicId(topic).get(TIMEOUT_S, TimeUnit.SECONDS)),
                    "numPartitions", r.numPartitions(topic).get(TIMEOUT_S, TimeUnit.SECONDS)));
        }
        describeTopic(bootstrap, topic);
    }

    static void describeTopic(String bootstrap, String topic) throws Exception {
        try (Admin a = admin(bootstrap)) {
            TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS).get(topic);
            List<Object> parts = new ArrayList<>();
            for (TopicPartitionInfo pi : d.partitions()) {
                List<Object> replicas = new ArrayList<>();
                for (Node n : pi.replicas()) replicas.add(n.id());
                List<Object> isr = new ArrayList<>();
                for (Node n : pi.isr()) isr.add(n.id());
                parts.add(map("partition", pi.partition(), "leader", pi.leader() == null ? null : pi.leader().id(), "replicas", replicas, "isr", isr));
            }
            emit(map("cmd", "describe-topic", "topic", d.name(), "topicId", String.valueOf(d.topicId()), "internal", d.isInternal(), "partitions", parts));
        }
    }

    /** alter-config <topic> key=value (SET) | -key (DELETE) …, then prints describe-config. */
    static void alterConfig(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        List<AlterConfigOp> ops = new ArrayList<>();
        for (String op : args.subList(1, args.size())) {
            if (op.startsWith("-")) {
                ops.add(new AlterConfigOp(new ConfigEntry(op.substring(1), null), AlterConfigOp.OpType.DELETE));
            } else {
                int eq = op.indexOf('=');
                ops.add(new AlterConfigOp(new ConfigEntry(op.substring(0, eq), op.substring(eq + 1)), AlterConfigOp.OpType.SET));
            }
        }
        try (Admin a = admin(bootstrap)) {
            a.incrementalAlterConfigs(Map.of(res, ops)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            emit(map("cmd", "alter-config", "topic", topic, "ops", ops.size()));
        }
        describeConfig(bootstrap, topic);
    }

    static void describeConfig(String bootstrap, String topic) throws Exception {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin a = admin(bootstrap)) {
            Config c = a.describeConfigs(List.of(res)).all().get(TIMEOUT_S, TimeUnit.SECONDS).get(res);
            Map<String, Object> values = new TreeMap<>();
            Map<String, Object> sources = new TreeMap<>();
            for (ConfigEntry e : c.entries()) {
                values.put(e.name(), e.value());
                sources.put(e.name(), e.source().name());
            }
            emit(map("cmd", "describe-config", "topic", topic, "values", values, "sources", sources));
        }
    }

    static void listOffsets(String bootstrap, String topic, int partition) throws Exception {
        TopicPartition tp = new TopicPartition(topic, partition);
        try (Admin a = admin(bootstrap)) {
            ListOffsetsResult.ListOffsetsResultInfo earliest = a.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get(TIMEOUT_S, TimeUnit.SECONDS);
            ListOffsetsResult.ListOffsetsResultInfo latest = a.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(TIMEOUT_S, TimeUnit.SECONDS);
            ListOffsetsResult.ListOffsetsResultInfo max = a.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp).get(TIMEOUT_S, TimeUnit.SECONDS);
            emit(map("cmd", "list-offsets", "topic", topic, "partition", partition,
                    "earliest", earliest.offset(), "latest", latest.offset(),
                    "maxTimestamp", map("offset", max.offset(), "timestamp", max.timestamp())));
        }
    }

    static void deleteRecords(String bootstrap, String topic, int partition, long before) throws Exception {
        TopicPartition tp = new TopicPartition(topic, partition);
        try (Admin a = admin(bootstrap)) {
            DeletedRecords d = a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(before))).lowWatermarks().get(tp).get(TIMEOUT_S, TimeUnit.SECONDS);
            emit(map("cmd", "delete-records", "topic", topic, "partition", partition, "lowWatermark", d.lowWatermark()));
        }
    }

    // ------------------------------------------------------------------------------------------- producer

    /**
     * produce <topic> <count> <compression> [--ts-base=MS] [--ts-peak=INDEX] [--partition=P] [producer.prop=value…]
     * Record i: key "key-i", value "value-i|" + filler (compressible), headers idx=i and src=java.
     * With --ts-base every record gets timestamp base+i, except --ts-peak which gets base+1_000_000.
     */
    static void produce(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        int count = Integer.parseInt(args.get(1));
        String compression = args.get(2);
        Long tsBase = null;
        int tsPeak = -1;
        Integer partition = null;
        Properties p = clientProps();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-e2e-java-producer");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        for (String a : args.subList(3, args.size())) {
            int eq = a.indexOf('=');
            String k = a.substring(0, eq), v = a.substring(eq + 1);
            switch (k) {
                case "--ts-base" -> tsBase = Long.parseLong(v);
                case "--ts-peak" -> tsPeak = Integer.parseInt(v);
                case "--partition" -> partition = Integer.parseInt(v);
                default -> p.put(k, v);
            }
        }
        String filler = "strata-e2e-filler-".repeat(10);
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < count; i++) {
                Long ts = tsBase == null ? null : (i == tsPeak ? tsBase + 1_000_000L : tsBase + i);
                List<Header> headers = List.of(
                        new RecordHeader("idx", Integer.toString(i).getBytes(StandardCharsets.UTF_8)),
                        new RecordHeader("src", "java".getBytes(StandardCharsets.UTF_8)));
                ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, partition, ts,
                        ("key-" + i).getBytes(StandardCharsets.UTF_8),
                        ("value-" + i + "|" + filler).getBytes(StandardCharsets.UTF_8), headers);
                acks.add(producer.send(rec));
            }
            producer.flush();
            for (int i = 0; i < count; i++) {
                RecordMetadata md = acks.get(i).get(TIMEOUT_S, TimeUnit.SECONDS);
                emit(map("ack", i, "partition", md.partition(), "offset", md.offset(), "timestamp", md.timestamp()));
            }
        }
        emit(map("cmd", "produce", "topic", topic, "acked", count));
    }

    // ------------------------------------------------------------------------------------------- consumer

    /** consume <topic> <expected> <timeoutMs>: no group; assign all partitions, seekToBeginning, poll. */
    static void consume(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        int expected = Integer.parseInt(args.get(1));
        long timeoutMs = Long.parseLong(args.get(2));
        Properties p = clientProps();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-e2e-java-consumer");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(20))) tps.add(new TopicPartition(topic, pi.partition()));
            tps.sort(Comparator.comparingInt(TopicPartition::partition));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<String, Object> start = new TreeMap<>();
            for (TopicPartition tp : tps) start.put(Integer.toString(tp.partition()), c.position(tp, Duration.ofSeconds(20)));
            int got = 0;
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (got < expected && System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    Map<String, Object> hs = new LinkedHashMap<>();
                    for (Header h : r.headers()) hs.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
                    emit(map("partition", r.partition(), "offset", r.offset(),
                            "key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                            "value", r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8),
                            "headers", hs, "timestamp", r.timestamp(), "timestampType", r.timestampType().name,
                            "leaderEpoch", r.leaderEpoch().orElse(null)));
                    got++;
                }
            }
            // One more short poll: anything beyond `expected` would be a duplicate and must show up in the count.
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                emit(map("partition", r.partition(), "offset", r.offset(), "extra", true));
                got++;
            }
            Map<String, Object> ends = new TreeMap<>();
            for (Map.Entry<TopicPartition, Long> e : c.endOffsets(tps, Duration.ofSeconds(20)).entrySet()) {
                ends.put(Integer.toString(e.getKey().partition()), e.getValue());
            }
            emit(map("cmd", "consume", "topic", topic, "count", got, "startOffsets", start, "endOffsets", ends));
        }
    }

    // ------------------------------------------------------------------------------------- consumer groups
    //
    // Long-running commands (group-consume, idem-produce, bench-*) run until a line "stop" arrives on stdin or
    // stdin closes (so they never outlive the test process), then close their client cleanly and print a
    // summary line with "cmd". Events are printed as they happen, one JSON object per line.

    static volatile boolean stopRequested = false;

    /** Watches stdin for "stop" (or EOF) on a daemon thread; then sets stopRequested and runs onStop. */
    static void watchStdin(Runnable onStop) {
        watchStdin(onStop, line -> {});
    }

    /** As watchStdin(onStop), and every other line is passed to onLine (on the watcher thread). */
    static void watchStdin(Runnable onStop, java.util.function.Consumer<String> onLine) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.trim().equals("stop")) break;
                    onLine.accept(line.trim());
                }
            } catch (IOException ignored) {
                // treated as EOF
            }
            stopRequested = true;
            onStop.run();
        }, "stdin-watcher");
        t.setDaemon(true);
        t.start();
    }

    static List<Integer> partitionsOf(Collection<TopicPartition> tps) {
        List<Integer> out = new ArrayList<>();
        for (TopicPartition tp : tps) out.add(tp.partition());
        Collections.sort(out);
        return out;
    }

    static String assignorClass(String name) {
        return switch (name) {
            case "cooperative-sticky" -> CooperativeStickyAssignor.class.getName();
            case "sticky" -> StickyAssignor.class.getName();
            case "range" -> RangeAssignor.class.getName();
            case "roundrobin" -> RoundRobinAssignor.class.getName();
            default -> throw new IllegalArgumentException("unknown assignor " + name);
        };
    }

    /**
     * group-consume <topic> <group> [--instance-id=ID] [--assignor=cooperative-sticky|sticky|range|roundrobin]
     *               [--print-records=true|false] [--commit=sync|none] [--client-id=ID] [consumer.prop=value…]
     * subscribe() with the classic group protocol, auto.offset.reset=earliest, auto commit off; after every
     * non-empty poll the consumed positions are committed with commitSync. Prints:
     *   {"event":"assigned"|"revoked"|"lost","partitions":[…],"assignment":[…],"generation":G,"memberId":M}
     *   {"event":"status","generation":G,"memberId":M,"assignment":[…]}   whenever generation or member id change
     *   {"p":P,"o":O,"k":K,"ts":T}                                          per record (unless --print-records=false)
     *   {"event":"committed","offsets":{"P":O,…},"generation":G}           after each successful commitSync
     *   {"event":"commit-failed","error":…}
     *   {"cmd":"group-consume","records":N,…}                               after close()
     */
    static void groupConsume(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        String group = args.get(1);
        boolean printRecords = true;
        boolean commit = true;
        Properties p = clientProps();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-e2e-group-consumer");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        p.put(ConsumerConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "200");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        for (String a : args.subList(2, args.size())) {
            int eq = a.indexOf('=');
            String k = a.substring(0, eq), v = a.substring(eq + 1);
            switch (k) {
                case "--instance-id" -> p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, v);
                case "--assignor" -> p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignorClass(v));
                case "--print-records" -> printRecords = Boolean.parseBoolean(v);
                case "--commit" -> commit = v.equals("sync");
                case "--client-id" -> p.put(ConsumerConfig.CLIENT_ID_CONFIG, v);
                default -> p.put(k, v);
            }
        }
        // The KIP-848 protocol (group.protocol=consumer) leaves session and heartbeat timing to the broker and
        // refuses these settings.
        if ("consumer".equals(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG))) {
            p.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            p.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
        }
        long records = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            watchStdin(c::wakeup);
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                void report(String event, Collection<TopicPartition> parts) {
                    ConsumerGroupMetadata md = c.groupMetadata();
                    emit(map("event", event, "partitions", partitionsOf(parts), "assignment", partitionsOf(c.assignment()),
                            "generation", md.generationId(), "memberId", md.memberId(), "t", System.currentTimeMillis()));
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                    report("revoked", parts);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                    report("assigned", parts);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> parts) {
                    report("lost", parts);
                }
            });
            int lastGen = Integer.MIN_VALUE;
            String lastMember = null;
            while (!stopRequested) {
                ConsumerRecords<byte[], byte[]> recs;
                try {
                    recs = c.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    records++;
                    if (printRecords) {
                        emit(map("p", r.partition(), "o", r.offset(), "k", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), "ts", r.timestamp()));
                    }
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                if (commit && !next.isEmpty()) {
                    try {
                        c.commitSync(next, Duration.ofSeconds(15));
                        Map<String, Object> offs = new TreeMap<>();
                        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : next.entrySet()) offs.put(Integer.toString(e.getKey().partition()), e.getValue().offset());
                        emit(map("event", "committed", "offsets", offs, "generation", c.groupMetadata().generationId()));
                    } catch (WakeupException e) {
                        break;
                    } catch (Exception e) {
                        emit(map("event", "commit-failed", "error", e.toString()));
                    }
                }
                ConsumerGroupMetadata md = c.groupMetadata();
                if (md.generationId() != lastGen || !md.memberId().equals(lastMember)) {
                    lastGen = md.generationId();
                    lastMember = md.memberId();
                    emit(map("event", "status", "generation", lastGen, "memberId", lastMember, "assignment", partitionsOf(c.assignment()),
                            "t", System.currentTimeMillis()));
                }
            }
            c.close(CloseOptions.timeout(Duration.ofSeconds(10)));
        }
        emit(map("cmd", "group-consume", "records", records));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> tpMap(Map<TopicPartition, OffsetAndMetadata> offs) {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offs.entrySet()) {
            if (e.getValue() == null) continue;
            Map<String, Object> perTopic = (Map<String, Object>) out.computeIfAbsent(e.getKey().topic(), k -> new TreeMap<String, Object>());
            perTopic.put(Integer.toString(e.getKey().partition()), e.getValue().offset());
        }
        return out;
    }

    static String errorName(Throwable t) {
        Throwable root = t;
        while ((root instanceof java.util.concurrent.ExecutionException || root instanceof java.util.concurrent.CompletionException) && root.getCause() != null) root = root.getCause();
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** groups-list [state…]: Admin.listGroups, optionally filtered by group state (ListGroups states filter). */
    @SuppressWarnings("unchecked")
    static void groupsList(String bootstrap, List<String> states) throws Exception {
        ListGroupsOptions opts = new ListGroupsOptions();
        if (!states.isEmpty()) {
            Set<GroupState> s = new HashSet<>();
            for (String st : states) s.add(GroupState.parse(st));
            opts = opts.inGroupStates(s);
        }
        try (Admin a = admin(bootstrap)) {
            List<Object> groups = new ArrayList<>();
            for (GroupListing g : a.listGroups(opts).all().get(TIMEOUT_S, TimeUnit.SECONDS)) {
                groups.add(map("groupId", g.groupId(), "protocolType", g.protocol(), "type", g.type().map(Object::toString).orElse(null),
                        "state", g.groupState().map(Object::toString).orElse(null)));
            }
            groups.sort(Comparator.comparing(o -> (String) ((Map<String, Object>) o).get("groupId")));
            emit(map("cmd", "groups-list", "states", states, "groups", groups));
        }
    }

    /** groups-describe <group…>: Admin.describeConsumerGroups; per group the description or the error. */
    @SuppressWarnings("unchecked")
    static void groupsDescribe(String bootstrap, List<String> groups) throws Exception {
        try (Admin a = admin(bootstrap)) {
            DescribeConsumerGroupsResult r = a.describeConsumerGroups(groups);
            Map<String, Object> out = new TreeMap<>();
            for (String g : groups) {
                try {
                    ConsumerGroupDescription d = r.describedGroups().get(g).get(TIMEOUT_S, TimeUnit.SECONDS);
                    List<Object> members = new ArrayList<>();
                    for (MemberDescription m : d.members()) {
                        Map<String, Object> byTopic = new TreeMap<>();
                        for (TopicPartition tp : m.assignment().topicPartitions()) {
                            ((List<Integer>) byTopic.computeIfAbsent(tp.topic(), k -> new ArrayList<Integer>())).add(tp.partition());
                        }
                        for (Object l : byTopic.values()) Collections.sort((List<Integer>) l);
                        members.add(map("memberId", m.consumerId(), "groupInstanceId", m.groupInstanceId().orElse(null), "clientId", m.clientId(),
                                "host", m.host(), "assignment", byTopic));
                    }
                    members.sort(Comparator.comparing(o -> (String) ((Map<String, Object>) o).get("memberId")));
                    out.put(g, map("state", d.groupState().toString(), "type", d.type().toString(), "partitionAssignor", d.partitionAssignor(),
                            "simple", d.isSimpleConsumerGroup(), "coordinator", d.coordinator() == null ? null : d.coordinator().id(), "members", members));
                } catch (Exception e) {
                    out.put(g, map("error", errorName(e)));
                }
            }
            emit(map("cmd", "groups-describe", "groups", out));
        }
    }

    /** group-offsets <group>: Admin.listConsumerGroupOffsets → {"offsets":{topic:{partition:offset}}}. */
    static void groupOffsets(String bootstrap, String group) throws Exception {
        try (Admin a = admin(bootstrap)) {
            try {
                Map<TopicPartition, OffsetAndMetadata> offs = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(TIMEOUT_S, TimeUnit.SECONDS);
                emit(map("cmd", "group-offsets", "group", group, "offsets", tpMap(offs)));
            } catch (Exception e) {
                emit(map("cmd", "group-offsets", "group", group, "failed", errorName(e)));
            }
        }
    }

    /** group-offsets-alter <group> <topic> <partition>=<offset>…: Admin.alterConsumerGroupOffsets; prints "ok" or the error. */
    static void groupOffsetsAlter(String bootstrap, List<String> args) throws Exception {
        String group = args.get(0);
        String topic = args.get(1);
        Map<TopicPartition, OffsetAndMetadata> offs = new HashMap<>();
        for (String kv : args.subList(2, args.size())) {
            int eq = kv.indexOf('=');
            offs.put(new TopicPartition(topic, Integer.parseInt(kv.substring(0, eq))), new OffsetAndMetadata(Long.parseLong(kv.substring(eq + 1))));
        }
        try (Admin a = admin(bootstrap)) {
            String result = "ok";
            try {
                a.alterConsumerGroupOffsets(group, offs).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            } catch (Exception e) {
                result = errorName(e);
            }
            emit(map("cmd", "group-offsets-alter", "group", group, "result", result));
        }
    }

    /** group-offsets-delete <group> <topic> <partition>…: Admin.deleteConsumerGroupOffsets; prints "ok" or the error. */
    static void groupOffsetsDelete(String bootstrap, List<String> args) throws Exception {
        String group = args.get(0);
        String topic = args.get(1);
        Set<TopicPartition> tps = new HashSet<>();
        for (String s : args.subList(2, args.size())) tps.add(new TopicPartition(topic, Integer.parseInt(s)));
        try (Admin a = admin(bootstrap)) {
            String result = "ok";
            try {
                a.deleteConsumerGroupOffsets(group, tps).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            } catch (Exception e) {
                result = errorName(e);
            }
            emit(map("cmd", "group-offsets-delete", "group", group, "result", result));
        }
    }

    /** groups-delete <group…>: Admin.deleteConsumerGroups; per group "ok" or the error. */
    static void groupsDelete(String bootstrap, List<String> groups) throws Exception {
        try (Admin a = admin(bootstrap)) {
            DeleteConsumerGroupsResult r = a.deleteConsumerGroups(groups);
            Map<String, Object> out = new TreeMap<>();
            for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : r.deletedGroups().entrySet()) {
                try {
                    e.getValue().get(TIMEOUT_S, TimeUnit.SECONDS);
                    out.put(e.getKey(), "ok");
                } catch (Exception ex) {
                    out.put(e.getKey(), errorName(ex));
                }
            }
            emit(map("cmd", "groups-delete", "results", out));
        }
    }

    /**
     * admin-batch <op> [args…] -- <op> [args…] -- …: runs several group admin commands (groups-list,
     * groups-describe, group-offsets, group-offsets-alter, group-offsets-delete, groups-delete) one after the
     * other in this JVM, each printing its own line, so a test pays for one JVM start instead of many.
     */
    static void adminBatch(String bootstrap, List<String> args) throws Exception {
        List<List<String>> ops = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--")) {
                if (!cur.isEmpty()) ops.add(cur);
                cur = new ArrayList<>();
            } else {
                cur.add(a);
            }
        }
        if (!cur.isEmpty()) ops.add(cur);
        for (List<String> op : ops) {
            List<String> rest = op.subList(1, op.size());
            switch (op.get(0)) {
                case "groups-list" -> groupsList(bootstrap, rest);
                case "groups-describe" -> groupsDescribe(bootstrap, rest);
                case "group-offsets" -> groupOffsets(bootstrap, rest.get(0));
                case "group-offsets-alter" -> groupOffsetsAlter(bootstrap, rest);
                case "group-offsets-delete" -> groupOffsetsDelete(bootstrap, rest);
                case "groups-delete" -> groupsDelete(bootstrap, rest);
                default -> throw new IllegalArgumentException("admin-batch: unknown op " + op.get(0));
            }
        }
    }

    // -------------------------------------------------------------------------------- ACLs and quotas

    /** acl-create <resourceType> <name> <patternType> <principal> <host> <operation> <permission> (Kafka enum names). */
    static void aclCreate(String bootstrap, List<String> a) throws Exception {
        org.apache.kafka.common.acl.AclBinding b = new org.apache.kafka.common.acl.AclBinding(
                new org.apache.kafka.common.resource.ResourcePattern(
                        org.apache.kafka.common.resource.ResourceType.fromString(a.get(0)), a.get(1),
                        org.apache.kafka.common.resource.PatternType.fromString(a.get(2))),
                new org.apache.kafka.common.acl.AccessControlEntry(a.get(3), a.get(4),
                        org.apache.kafka.common.acl.AclOperation.fromString(a.get(5)),
                        org.apache.kafka.common.acl.AclPermissionType.fromString(a.get(6))));
        try (Admin admin = admin(bootstrap)) {
            admin.createAcls(List.of(b)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            emit(map("cmd", "acl-create", "created", b.toString()));
        }
    }

    /**
     * acl-describe|acl-delete <resourceType|ANY> <name|-> <patternType|ANY|MATCH>: the bindings the filter selects
     * (any principal, host, operation, permission), deleted too for acl-delete. "-" = any name.
     */
    static void aclDescribe(String bootstrap, List<String> a, boolean delete) throws Exception {
        org.apache.kafka.common.acl.AclBindingFilter f = new org.apache.kafka.common.acl.AclBindingFilter(
                new org.apache.kafka.common.resource.ResourcePatternFilter(
                        org.apache.kafka.common.resource.ResourceType.fromString(a.get(0)), a.get(1).equals("-") ? null : a.get(1),
                        org.apache.kafka.common.resource.PatternType.fromString(a.get(2))),
                org.apache.kafka.common.acl.AccessControlEntryFilter.ANY);
        try (Admin admin = admin(bootstrap)) {
            Collection<org.apache.kafka.common.acl.AclBinding> found = delete
                    ? admin.deleteAcls(List.of(f)).all().get(TIMEOUT_S, TimeUnit.SECONDS)
                    : admin.describeAcls(f).values().get(TIMEOUT_S, TimeUnit.SECONDS);
            List<Object> out = new ArrayList<>();
            for (org.apache.kafka.common.acl.AclBinding b : found) {
                out.add(map("resourceType", b.pattern().resourceType().name(), "name", b.pattern().name(),
                        "patternType", b.pattern().patternType().name(), "principal", b.entry().principal(),
                        "host", b.entry().host(), "operation", b.entry().operation().name(),
                        "permission", b.entry().permissionType().name()));
            }
            emit(map("cmd", delete ? "acl-delete" : "acl-describe", "acls", out));
        }
    }

    /** quota-alter <user|-> <client-id|-> <key>=<value>…: sets quotas of that entity ("-" leaves the part out). */
    static void quotaAlter(String bootstrap, List<String> a) throws Exception {
        Map<String, String> parts = new HashMap<>();
        if (!a.get(0).equals("-")) parts.put(org.apache.kafka.common.quota.ClientQuotaEntity.USER, a.get(0));
        if (!a.get(1).equals("-")) parts.put(org.apache.kafka.common.quota.ClientQuotaEntity.CLIENT_ID, a.get(1));
        List<org.apache.kafka.common.quota.ClientQuotaAlteration.Op> ops = new ArrayList<>();
        for (String kv : a.subList(2, a.size())) {
            String[] p = kv.split("=", 2);
            ops.add(new org.apache.kafka.common.quota.ClientQuotaAlteration.Op(p[0], Double.parseDouble(p[1])));
        }
        try (Admin admin = admin(bootstrap)) {
            admin.alterClientQuotas(List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration(
                    new org.apache.kafka.common.quota.ClientQuotaEntity(parts), ops))).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            emit(map("cmd", "quota-alter", "entity", parts));
        }
    }

    /** quota-describe: every quota entity and its values. */
    static void quotaDescribe(String bootstrap) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            Map<org.apache.kafka.common.quota.ClientQuotaEntity, Map<String, Double>> found = admin
                    .describeClientQuotas(org.apache.kafka.common.quota.ClientQuotaFilter.all()).entities().get(TIMEOUT_S, TimeUnit.SECONDS);
            List<Object> out = new ArrayList<>();
            for (var e : found.entrySet()) out.add(map("entity", new TreeMap<>(e.getKey().entries()), "values", new TreeMap<>(e.getValue())));
            emit(map("cmd", "quota-describe", "entries", out));
        }
    }

    // -------------------------------------------------------------------------------- idempotent producer

    /**
     * idem-produce <topic> <partitions> <recordsPerSecond> [--max=N] [producer.prop=value…]
     * A steady idempotent producer (acks=all, enable.idempotence=true, unlimited retries, long delivery
     * timeout). Record n goes to partition n % partitions with key "k-n", value "v-n". Prints
     * {"ack":n,"p":P,"o":O} from each successful send callback and {"nack":n,"error":…} from failed ones;
     * on "stop" it flushes, closes and prints {"cmd":"idem-produce","sent":…,"acked":…,"failed":…}.
     */
    static void idemProduce(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        int partitions = Integer.parseInt(args.get(1));
        double rate = Double.parseDouble(args.get(2));
        long max = -1;
        Properties p = clientProps();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-e2e-idem-producer");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        for (String a : args.subList(3, args.size())) {
            int eq = a.indexOf('=');
            String k = a.substring(0, eq), v = a.substring(eq + 1);
            if (k.equals("--max")) max = Long.parseLong(v);
            else p.put(k, v);
        }
        watchStdin(() -> {});
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long sent = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            long start = System.nanoTime();
            while (!stopRequested && (max < 0 || sent < max)) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
                if (max >= 0) due = Math.min(due, max);
                for (; sent < due && !stopRequested; sent++) {
                    final long n = sent;
                    producer.send(new ProducerRecord<>(topic, (int) (n % partitions), ("k-" + n).getBytes(StandardCharsets.UTF_8), ("v-" + n).getBytes(StandardCharsets.UTF_8)),
                            (md, ex) -> {
                                if (ex == null) {
                                    acked.incrementAndGet();
                                    emit(map("ack", n, "p", md.partition(), "o", md.offset()));
                                } else {
                                    failed.incrementAndGet();
                                    emit(map("nack", n, "error", ex.toString()));
                                }
                            });
                }
                Thread.sleep(2);
            }
            if (max >= 0) {
                while (!stopRequested) Thread.sleep(20); // wait for "stop" so the test decides when to close
            }
            producer.flush();
            producer.close(Duration.ofSeconds(60));
        }
        emit(map("cmd", "idem-produce", "sent", sent, "acked", acked.get(), "failed", failed.get()));
    }

    // --------------------------------------------------------------------------------- benchmark commands

    /**
     * bench-produce <topic> <partitions> <MBps> <seconds> <recordBytes> [producer.prop=value…]
     * Sends incompressible records of recordBytes at a fixed rate (partition n % partitions, no key, CreateTime
     * now) and prints {"cmd":"bench-produce","records","bytes","seconds","mbPerSec","errors"}.
     */
    static void benchProduce(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        int partitions = Integer.parseInt(args.get(1));
        double mbps = Double.parseDouble(args.get(2));
        double seconds = Double.parseDouble(args.get(3));
        int recordBytes = Integer.parseInt(args.get(4));
        Properties p = clientProps();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-bench-producer");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L << 20));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        for (String a : args.subList(5, args.size())) {
            int eq = a.indexOf('=');
            p.put(a.substring(0, eq), a.substring(eq + 1));
        }
        watchStdin(() -> {});
        byte[] value = new byte[recordBytes];
        new Random(42).nextBytes(value);
        double perSecond = mbps * 1e6 / recordBytes;
        long total = (long) (perSecond * seconds);
        AtomicLong errors = new AtomicLong();
        java.util.concurrent.atomic.AtomicLongArray ackHist = new java.util.concurrent.atomic.AtomicLongArray(60_001); // send → ack, ms
        long sent = 0;
        long start;
        long end;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.partitionsFor(topic); // metadata before the clock starts
            start = System.nanoTime();
            emit(map("event", "started", "t", System.currentTimeMillis()));
            while (sent < total && !stopRequested) {
                long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * perSecond));
                for (; sent < due; sent++) {
                    long sentAt = System.currentTimeMillis();
                    producer.send(new ProducerRecord<>(topic, (int) (sent % partitions), sentAt, null, value), (md, ex) -> {
                        if (ex != null) errors.incrementAndGet();
                        else ackHist.incrementAndGet((int) Math.min(ackHist.length() - 1, Math.max(0, System.currentTimeMillis() - sentAt)));
                    });
                }
                Thread.sleep(1);
            }
            producer.flush();
            end = System.nanoTime();
        }
        double secs = (end - start) / 1e9;
        emit(map("cmd", "bench-produce", "records", sent, "bytes", sent * recordBytes, "seconds", secs, "mbPerSec", sent * (double) recordBytes / secs / 1e6,
                "errors", errors.get(), "cpuSeconds", processCpuSeconds(), "ackHist", sparse(ackHist)));
    }

    static Map<String, Object> sparse(java.util.concurrent.atomic.AtomicLongArray hist) {
        Map<String, Object> h = new TreeMap<>();
        for (int i = 0; i < hist.length(); i++) if (hist.get(i) > 0) h.put(Integer.toString(i), hist.get(i));
        return h;
    }

    /**
     * bench-consume <topic> <group> <measureFromEpochMs> [consumer.prop=value…]
     * A group member (classic protocol, auto commit) that measures, for every record with CreateTime ≥
     * measureFrom, the end-to-end latency now − CreateTime in whole milliseconds. A line "from <epochMs>" on
     * stdin moves measureFrom (so measuring can start after a warm-up). Prints "assigned" events, and on "stop"
     * {"cmd":"bench-consume","records","bytes","firstMs","lastMs","hist":{"ms":count}}.
     */
    static void benchConsume(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        String group = args.get(1);
        AtomicLong measureFrom = new AtomicLong(Long.parseLong(args.get(2)));
        Properties p = clientProps();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-bench-consumer");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        for (String a : args.subList(3, args.size())) {
            int eq = a.indexOf('=');
            p.put(a.substring(0, eq), a.substring(eq + 1));
        }
        long[] hist = new long[60_001];
        long records = 0, bytes = 0, firstMs = -1, lastMs = -1, all = 0, lastProgress = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            watchStdin(c::wakeup, line -> {
                if (line.startsWith("from ")) measureFrom.set(Long.parseLong(line.substring(5).trim()));
            });
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                    emit(map("event", "revoked", "partitions", partitionsOf(parts)));
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                    emit(map("event", "assigned", "partitions", partitionsOf(parts), "assignment", partitionsOf(c.assignment()),
                            "generation", c.groupMetadata().generationId()));
                }
            });
            while (!stopRequested) {
                ConsumerRecords<byte[], byte[]> recs;
                try {
                    recs = c.poll(Duration.ofMillis(100));
                } catch (WakeupException e) {
                    break;
                }
                if (System.currentTimeMillis() - lastProgress >= 1000) {
                    lastProgress = System.currentTimeMillis();
                    emit(map("event", "progress", "allRecords", all, "records", records));
                }
                if (recs.isEmpty()) continue;
                long now = System.currentTimeMillis();
                long from = measureFrom.get();
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    all++;
                    if (r.timestamp() < from) continue;
                    long lat = Math.max(0, now - r.timestamp());
                    hist[(int) Math.min(lat, hist.length - 1)]++;
                    records++;
                    bytes += Math.max(0, r.serializedValueSize()) + Math.max(0, r.serializedKeySize());
                    if (firstMs < 0) firstMs = now;
                    lastMs = now;
                }
            }
            c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
        Map<String, Object> h = new TreeMap<>();
        for (int i = 0; i < hist.length; i++) if (hist[i] > 0) h.put(Integer.toString(i), hist[i]);
        emit(map("cmd", "bench-consume", "records", records, "allRecords", all, "bytes", bytes, "firstMs", firstMs, "lastMs", lastMs, "hist", h,
                "cpuSeconds", processCpuSeconds()));
    }

    /** CPU time this JVM has used so far (all threads: application, JIT, GC). */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : -1;
    }

    // --------------------------------------------------------------------------------------- transactions

    static Properties txnProducerProps(String bootstrap, String txnId, int timeoutMs) {
        Properties p = clientProps();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-e2e-java-txn-" + txnId);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(timeoutMs));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * txn-shell <txnId> <transaction.timeout.ms>: one transactional producer driven line by line from stdin —
     * init | begin | send <topic> <key> <value> | offsets <group> <topic> <partition> <offset> | commit | abort |
     * close — each answered with {"op", "ok"} or {"op", "ok": false, "exception"}; errors do not end the process.
     */
    static void txnShell(String bootstrap, List<String> args) throws Exception {
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(txnProducerProps(bootstrap, args.get(0), Integer.parseInt(args.get(1))));
        emit(map("event", "ready"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split(" ");
            if (w[0].isEmpty()) continue;
            if (w[0].equals("stop")) break;
            Map<String, Object> res = map("op", w[0]);
            try {
                switch (w[0]) {
                    case "init" -> producer.initTransactions();
                    case "begin" -> producer.beginTransaction();
                    case "send" -> res.put("offset", producer.send(new ProducerRecord<>(w[1], utf8(w[2]), utf8(w[3]))).get(TIMEOUT_S, TimeUnit.SECONDS).offset());
                    case "offsets" -> producer.sendOffsetsToTransaction(
                            Map.of(new TopicPartition(w[2], Integer.parseInt(w[3])), new OffsetAndMetadata(Long.parseLong(w[4]))), new ConsumerGroupMetadata(w[1]));
                    case "commit" -> producer.commitTransaction();
                    case "abort" -> producer.abortTransaction();
                    case "close" -> producer.close(Duration.ofSeconds(10));
                    default -> throw new IllegalArgumentException("unknown op " + w[0]);
                }
                res.put("ok", true);
            } catch (Exception e) {
                res.put("ok", false);
                res.put("exception", errorName(e));
            }
            emit(res);
            System.out.flush();
            if (w[0].equals("close")) break;
        }
        emit(map("cmd", "txn-shell"));
    }

    /**
     * txn-process <in> <out> <group> <txnId> <maxPollRecords> [pauseAfter]: consume-transform-produce, exactly once. Reads `in`
     * (read_committed, all partitions assigned, positions from the group's committed offsets), writes "T:" + value
     * to `out` with the same key, and commits the input offsets in the same transaction. One transaction per poll;
     * prints {"event": "committed", "txns", "records"} after each and {"event": "caught-up"} when an empty poll
     * finds nothing left to read. Runs until "stop" on stdin (or a kill -9). With pauseAfter > 0, the transaction
     * after that many commits is left open once its records and offsets are written ({"event": "in-transaction"}),
     * for the test to kill the process there.
     */
    static void txnProcess(String bootstrap, List<String> args) throws Exception {
        String in = args.get(0), out = args.get(1), group = args.get(2), txnId = args.get(3);
        long pauseAfter = args.size() > 5 ? Long.parseLong(args.get(5)) : 0;
        Properties cp = clientProps();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-e2e-java-txn-process");
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, args.get(4));
        cp.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(txnProducerProps(bootstrap, txnId, 30000));
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            // Fences an earlier instance of this processor and aborts its open transaction before anything is read.
            producer.initTransactions();
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : consumer.partitionsFor(in, Duration.ofSeconds(20))) tps.add(new TopicPartition(in, pi.partition()));
            consumer.assign(tps);
            emit(map("event", "ready"));
            watchStdin(consumer::wakeup);
            long txns = 0, records = 0;
            boolean reported = false;
            while (!stopRequested) {
                ConsumerRecords<byte[], byte[]> recs;
                try {
                    recs = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                if (recs.isEmpty()) {
                    // {"event": "caught-up"} once every partition is read up to its last stable offset.
                    Map<TopicPartition, Long> ends = consumer.endOffsets(tps, Duration.ofSeconds(20));
                    boolean caughtUp = true;
                    for (TopicPartition tp : tps) if (consumer.position(tp, Duration.ofSeconds(20)) < ends.get(tp)) caughtUp = false;
                    if (caughtUp && !reported) emit(map("event", "caught-up", "txns", txns, "records", records));
                    reported = caughtUp;
                    System.out.flush();
                    continue;
                }
                reported = false;
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    producer.send(new ProducerRecord<>(out, r.key(), utf8("T:" + new String(r.value(), StandardCharsets.UTF_8))));
                    offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                if (pauseAfter > 0 && txns == pauseAfter) {
                    // Fault injection by count: leave this transaction open with its records and offsets written,
                    // say so, and wait to be killed.
                    producer.flush();
                    emit(map("event", "in-transaction", "txns", txns, "records", records, "open", recs.count()));
                    System.out.flush();
                    while (true) Thread.sleep(1000);
                }
                producer.commitTransaction();
                txns++;
                records += recs.count();
                emit(map("event", "committed", "txns", txns, "records", records));
                System.out.flush();
            }
            emit(map("cmd", "txn-process", "txns", txns, "records", records));
        }
    }

    /**
     * txn-read <topic> <read_committed|read_uncommitted> <timeoutMs>: every record of every partition from the
     * beginning up to the end offsets this isolation level sees (the LSO for read_committed), as {"p","o","k","v"}
     * lines, then {"cmd": "txn-read", "count", "ends"}. Fails if the end is not reached in time (a blocked read).
     */
    static void txnRead(String bootstrap, List<String> args) throws Exception {
        String topic = args.get(0);
        Properties p = clientProps();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-e2e-java-txn-read");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, args.get(1));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long deadline = System.currentTimeMillis() + Long.parseLong(args.get(2));
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(20))) tps.add(new TopicPartition(topic, pi.partition()));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(20));
            int count = 0;
            while (true) {
                boolean done = true;
                for (TopicPartition tp : tps) if (c.position(tp, Duration.ofSeconds(20)) < ends.get(tp)) done = false;
                if (done) break;
                if (System.currentTimeMillis() > deadline) throw new RuntimeException("end offsets " + ends + " not reached in time");
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    emit(map("p", r.partition(), "o", r.offset(), "k", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                            "v", r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8)));
                    count++;
                }
            }
            Map<String, Object> endMap = new TreeMap<>();
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) endMap.put(Integer.toString(e.getKey().partition()), e.getValue());
            emit(map("cmd", "txn-read", "count", count, "ends", endMap));
        }
    }

    /** txn-describe <txnId>: Admin.describeTransactions (DescribeTransactions) and listTransactions (ListTransactions). */
    static void txnDescribe(String bootstrap, List<String> args) throws Exception {
        try (Admin a = admin(bootstrap)) {
            Map<String, Object> res = map("cmd", "txn-describe", "transactionalId", args.get(0));
            try {
                TransactionDescription d = a.describeTransactions(List.of(args.get(0))).description(args.get(0)).get(TIMEOUT_S, TimeUnit.SECONDS);
                List<String> parts = new ArrayList<>();
                for (TopicPartition tp : d.topicPartitions()) parts.add(tp.toString());
                Collections.sort(parts);
                res.put("state", d.state().toString());
                res.put("producerId", d.producerId());
                res.put("producerEpoch", d.producerEpoch());
                res.put("timeoutMs", d.transactionTimeoutMs());
                res.put("partitions", parts);
            } catch (Exception e) {
                res.put("failed", errorName(e));
            }
            List<String> listed = new ArrayList<>();
            for (TransactionListing l : a.listTransactions().all().get(TIMEOUT_S, TimeUnit.SECONDS)) listed.add(l.transactionalId() + "=" + l.state());
            Collections.sort(listed);
            res.put("listed", listed);
            emit(res);
        }
    }

    // ----------------------------------------------------------------------------------------------- json

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static void emit(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        json(sb, m);
        System.out.println(sb);
    }

    static void fail(String msg, Throwable t) {
        Throwable root = t;
        while (root != null && root.getCause() != null && root.getCause() != root) root = root.getCause();
        emit(map("error", msg, "exception", t == null ? null : t.toString(), "cause", root == null ? null : root.toString()));
        if (t != null) t.printStackTrace(System.err);
        System.out.flush();
        System.exit(2);
    }

    @SuppressWarnings("unchecked")
    static void json(StringBuilder sb, Object o) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof String s) {
            sb.append('"');
            for (char ch : s.toCharArray()) {
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                        else sb.append(ch);
                    }
                }
            }
            sb.append('"');
        } else if (o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) sb.append(',');
                first = false;
                json(sb, String.valueOf(e.getKey()));
                sb.append(':');
                json(sb, e.getValue());
            }
            sb.append('}');
        } else if (o instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object x : c) {
                if (!first) sb.append(',');
                first = false;
                json(sb, x);
            }
            sb.append(']');
        } else {
            json(sb, o.toString());
        }
    }
}
