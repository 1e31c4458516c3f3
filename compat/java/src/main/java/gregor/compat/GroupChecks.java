package gregor.compat;

import static gregor.compat.ClientChecks.bytes;
import static gregor.compat.ClientChecks.consumer;
import static gregor.compat.ClientChecks.partitions;
import static gregor.compat.ClientChecks.str;
import static gregor.compat.Runner.expect;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** Consumer groups with the classic protocol and with KIP-848's consumer protocol. */
final class GroupChecks {
  private static final int PARTITIONS = 4;
  private static final Set<Integer> ALL = Set.of(0, 1, 2, 3);

  private GroupChecks() {}

  static KafkaConsumer<byte[], byte[]> member(String group, String protocol) {
    if (protocol.equals("classic")) {
      return consumer("group.id", group, "group.protocol", protocol,
          "session.timeout.ms", "10000", "heartbeat.interval.ms", "500");
    }
    return consumer("group.id", group, "group.protocol", protocol);
  }

  /**
   * Two members share a 4-partition topic (disjoint assignments covering it),
   * each reads and commits the records of its own partitions; when one closes,
   * the other takes every partition and resumes from the committed offsets;
   * a new member after both left resumes from the commits too.
   */
  static void rebalance(String protocol) throws Exception {
    String t = Runner.topic("group-" + protocol);
    String g = t + "-group";
    try (Admin a = Runner.admin()) {
      Runner.createTopic(a, t, PARTITIONS);
    }
    Set<String> seen = new HashSet<>();
    try (KafkaProducer<byte[], byte[]> p = ClientChecks.producer()) {
      KafkaConsumer<byte[], byte[]> c1 = member(g, protocol);
      KafkaConsumer<byte[], byte[]> c2 = member(g, protocol);
      try {
        KafkaConsumer<byte[], byte[]> second = c2;
        c1.subscribe(List.of(t));
        c2.subscribe(List.of(t));
        pollUntil(List.of(c1, c2), seen, 40, () -> split(c1, second), "two members sharing the partitions");
        produce(p, t, 0, 10);
        pollUntil(List.of(c1, c2), seen, 20, () -> seen.size() == 40, "the 40 records");
        c2.close();
        c2 = null;
        pollUntil(List.of(c1), seen, 40, () -> partitions(c1.assignment()).equals(ALL),
            "the remaining member to take every partition (has " + c1.assignment() + ")");
        produce(p, t, 10, 5);
        pollUntil(List.of(c1), seen, 20, () -> seen.size() == 60, "the 20 records produced after the leave");
      } finally {
        c1.close();
        if (c2 != null) {
          c2.close();
        }
      }
      try (KafkaConsumer<byte[], byte[]> c3 = member(g, protocol)) {
        Set<TopicPartition> tps = new HashSet<>();
        for (int i = 0; i < PARTITIONS; i++) {
          tps.add(new TopicPartition(t, i));
        }
        Map<TopicPartition, OffsetAndMetadata> committed = c3.committed(tps, Duration.ofSeconds(10));
        for (TopicPartition tp : tps) {
          OffsetAndMetadata o = committed.get(tp);
          expect(o != null && o.offset() == 15, "committed offset of " + tp + " is " + o + ", want 15");
        }
        c3.subscribe(List.of(t));
        produce(p, t, 15, 1);
        pollUntil(List.of(c3), seen, 40, () -> seen.size() == 64, "a new member to read the 4 newest records");
      }
    }
  }

  /** True when both members own partitions, disjoint, covering the topic. */
  private static boolean split(KafkaConsumer<byte[], byte[]> c1, KafkaConsumer<byte[], byte[]> c2) {
    Set<Integer> a = partitions(c1.assignment());
    Set<Integer> b = partitions(c2.assignment());
    Set<Integer> union = new HashSet<>(a);
    union.addAll(b);
    return !a.isEmpty() && !b.isEmpty() && a.size() + b.size() == PARTITIONS && union.equals(ALL);
  }

  /** Produces n records to each partition, values "p<partition>-<index>" from index from. */
  private static void produce(KafkaProducer<byte[], byte[]> p, String t, int from, int n) throws Exception {
    for (int part = 0; part < PARTITIONS; part++) {
      for (int i = from; i < from + n; i++) {
        p.send(new ProducerRecord<>(t, part, null, bytes("p" + part + "-" + i)));
      }
    }
    p.flush();
  }

  /**
   * Polls the members in turn until done holds: every record must come from a
   * partition its member owns, at the offset its value says, and be read once;
   * each member commits what it read.
   */
  private static void pollUntil(List<KafkaConsumer<byte[], byte[]>> members, Set<String> seen, int seconds,
      BooleanSupplier done, String what) {
    long deadline = System.currentTimeMillis() + seconds * 1000L;
    while (!done.getAsBoolean()) {
      expect(System.currentTimeMillis() < deadline, "timed out waiting for " + what);
      for (KafkaConsumer<byte[], byte[]> c : members) {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        c.poll(Duration.ofMillis(100)).forEach(got::add);
        for (ConsumerRecord<byte[], byte[]> r : got) {
          String v = str(r.value());
          expect(v.equals("p" + r.partition() + "-" + r.offset()), "partition " + r.partition() + " offset "
              + r.offset() + " holds " + v);
          expect(partitions(c.assignment()).contains(r.partition()), v + " read by a member that does not own it");
          expect(seen.add(v), v + " read twice");
        }
        if (!got.isEmpty()) {
          c.commitSync(Duration.ofSeconds(10));
        }
      }
    }
  }
}
