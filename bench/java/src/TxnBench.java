// Transactional producer benchmark (Java kafka-clients 4.x, single-file source launch), for bench/transactions.ts
// and bench:vs-kafka. One producer with a transactional.id sends records of <size> bytes for <seconds>, committing
// a transaction every <commitMs> ms, at <rate> records/s (0 = as fast as it can). A read_committed consumer, assigned
// every partition from the end, measures each record's end-to-end latency (receive time minus CreateTime, same
// clock): a record becomes visible only once its transaction commits, so this includes the commit interval.
// Prints one JSON line with the figures. Figures only; nothing passes or fails.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.atomic.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class TxnBench {
  public static void main(String[] a) throws Exception {
    String bootstrap = a[0], topic = a[1];
    int seconds = Integer.parseInt(a[2]), commitMs = Integer.parseInt(a[3]), size = Integer.parseInt(a[4]);
    long rate = Long.parseLong(a[5]);

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
    consumer.assign(parts);
    consumer.seekToEnd(parts);
    parts.forEach(consumer::position);

    long[] hist = new long[60_001]; // latency in ms, last bucket = 60 s or more
    AtomicLong consumed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      while (!stop.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          long ms = Math.max(0, System.currentTimeMillis() - r.timestamp());
          hist[(int) Math.min(ms, 60_000)]++;
          consumed.incrementAndGet();
        }
      }
    });
    reader.start();

    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "txn-bench-" + topic);
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    pp.put(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    byte[] value = new byte[size];
    new Random(1).nextBytes(value);
    long start = System.nanoTime(), end = start + seconds * 1_000_000_000L;
    long sent = 0, commits = 0, commitNanos = 0;
    List<Long> commitTimes = new ArrayList<>();
    while (System.nanoTime() < end) {
      producer.beginTransaction();
      long txnEnd = Math.min(end, System.nanoTime() + commitMs * 1_000_000L);
      while (System.nanoTime() < txnEnd) {
        if (rate > 0) {
          long due = start + (long) (sent * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 0) { Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); continue; }
        }
        producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), null, value));
        sent++;
      }
      long c0 = System.nanoTime();
      producer.commitTransaction();
      long took = System.nanoTime() - c0;
      commitTimes.add(took);
      commitNanos += took;
      commits++;
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    producer.close();
    long deadline = System.currentTimeMillis() + 15_000;
    while (consumed.get() < sent && System.currentTimeMillis() < deadline) Thread.sleep(50);
    stop.set(true);
    reader.join();
    consumer.close();

    Collections.sort(commitTimes);
    long total = 0;
    for (long c : hist) total += c;
    System.out.println(String.format(Locale.ROOT,
      "{\"records\":%d,\"seconds\":%.2f,\"recordsPerSec\":%.0f,\"mbPerSec\":%.2f,\"commits\":%d,\"commitP50Ms\":%.1f,\"commitP99Ms\":%.1f,"
        + "\"consumed\":%d,\"e2eP50Ms\":%d,\"e2eP99Ms\":%d,\"e2eMaxMs\":%d}",
      sent, elapsed, sent / elapsed, sent * (double) size / elapsed / 1e6, commits,
      commitTimes.isEmpty() ? 0 : commitTimes.get(commitTimes.size() / 2) / 1e6,
      commitTimes.isEmpty() ? 0 : commitTimes.get(Math.min(commitTimes.size() - 1, (int) (commitTimes.size() * 0.99))) / 1e6,
      consumed.get(), q(hist, total, 0.5), q(hist, total, 0.99), q(hist, total, 1.0)));
  }

  static long q(long[] hist, long total, double quantile) {
    if (total == 0) return -1;
    long rank = Math.max(1, (long) Math.ceil(quantile * total)), seen = 0;
    for (int ms = 0; ms < hist.length; ms++) { seen += hist[ms]; if (seen >= rank) return ms; }
    return hist.length - 1;
  }
}
