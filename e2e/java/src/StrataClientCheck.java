// Drives the Apache Kafka Java client (kafka-clients 4.x) against a Strata broker for the e2e suite
// e2e/java-client.test.ts. Single-file source program, run without a compile step:
//
//   java -Xmx256m -cp 'e2e/java/target/lib/*' e2e/java/src/StrataClientCheck.java <command> <bootstrap> [args…]
//
// Every result is printed to stdout as one JSON object per line; the TypeScript test asserts on them.
// Failures print {"error": …} and exit with status 2. Every client call has a deadline.

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
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
                case "idem-produce" -> idemProduce(bootstrap, rest);
                case "bench-produce" -> benchProduce(bootstrap, rest);
                case "bench-consume" -> benchConsume(bootstrap, rest);
                default -> fail("unknown command " + cmd, null);
            }
        } catch (Throwable t) {
            fail(cmd + " failed", t);
        }
        System.out.flush();
        System.exit(0);
    }

    // ---------------------------------------------------------------------------------------------- admin

    static Admin admin(String bootstrap) {
        Properties p = new Properties();
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
        Properties p = new Properties();
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
        Properties p = new Properties();
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
