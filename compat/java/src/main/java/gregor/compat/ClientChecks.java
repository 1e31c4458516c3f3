package gregor.compat;

import static gregor.compat.Runner.CLIENT;
import static gregor.compat.Runner.CODECS;
import static gregor.compat.Runner.MATRIX_RECORDS;
import static gregor.compat.Runner.check;
import static gregor.compat.Runner.createTopic;
import static gregor.compat.Runner.expect;
import static gregor.compat.Runner.topic;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/** The producer and consumer checks, and the reading side of the codec matrix. */
final class ClientChecks {
  private ClientChecks() {}

  static void all() {
    check("idempotent-producer-acks-all", 40, ClientChecks::idempotentProducer);
    for (String codec : CODECS) {
      check("codec-" + codec, 40, () -> codec(codec));
    }
    check("keyed-partitioning", 40, ClientChecks::keyedPartitioning);
    check("seek-offset-and-time", 40, ClientChecks::seekOffsetAndTime);
    check("group-classic-rebalance-commit", 90, () -> GroupChecks.rebalance("classic"));
    check("group-consumer-rebalance-commit", 90, () -> GroupChecks.rebalance("consumer"));
    TxnChecks.all();
    AdminChecks.all();
  }

  static void matrix() {
    List<String[]> entries;
    try {
      entries = Runner.manifestEntries();
    } catch (Exception e) {
      check("matrix-manifest", 5, () -> { throw e; });
      return;
    }
    for (String[] e : entries) {
      if (!e[1].equals(CLIENT)) {
        check("matrix-" + e[1] + "-" + e[2], 30, () -> checkMatrix(e[0], e[1], e[2]));
      }
    }
  }

  // --- clients --------------------------------------------------------------------

  static KafkaProducer<byte[], byte[]> producer(String... kv) {
    Properties p = Runner.common();
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "20");
    p.put("delivery.timeout.ms", "20000");
    p.put("request.timeout.ms", "10000");
    for (int i = 0; i + 1 < kv.length; i += 2) {
      p.put(kv[i], kv[i + 1]);
    }
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static KafkaConsumer<byte[], byte[]> consumer(String... kv) {
    Properties p = Runner.common();
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    for (int i = 0; i + 1 < kv.length; i += 2) {
      p.put(kv[i], kv[i + 1]);
    }
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(byte[] b) {
    return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
  }

  /** Reads n records from the start of the given partitions, by assignment. */
  static List<ConsumerRecord<byte[], byte[]>> readAssigned(String topic, List<Integer> partitions, int n)
      throws Exception {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p : partitions) {
      tps.add(new TopicPartition(topic, p));
    }
    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 15000;
      while (got.size() < n && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(got::add);
      }
    }
    return got;
  }

  // --- checks ---------------------------------------------------------------------

  /** acks=all with idempotence: 100 sends in order get offsets 0..99 and read back exactly. */
  static void idempotentProducer() throws Exception {
    String t = topic("idempotent");
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 1);
    }
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (int i = 0; i < 100; i++) {
        sent.add(p.send(new ProducerRecord<>(t, 0, null, bytes("v" + i))));
      }
      p.flush();
    }
    for (int i = 0; i < 100; i++) {
      long off = sent.get(i).get().offset();
      expect(off == i, "send " + i + " acknowledged at offset " + off);
    }
    List<ConsumerRecord<byte[], byte[]>> got = readAssigned(t, List.of(0), 100);
    expect(got.size() == 100, "read " + got.size() + " records, want 100");
    for (int i = 0; i < 100; i++) {
      expect(got.get(i).offset() == i && str(got.get(i).value()).equals("v" + i),
          "record " + i + ": offset " + got.get(i).offset() + " value " + str(got.get(i).value()));
    }
  }

  /** Writes the codec's matrix topic (idempotent, acks=all), reads it back, lists it. */
  static void codec(String codec) throws Exception {
    String t = Runner.matrixTopic(CLIENT, codec);
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 1);
    }
    try (KafkaProducer<byte[], byte[]> p = producer("compression.type", codec, "linger.ms", "50")) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < MATRIX_RECORDS; i++) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(t, 0, bytes("key-" + i),
            bytes(Runner.matrixValue(CLIENT, codec, i)));
        r.headers().add("producer", bytes(CLIENT));
        sent.add(p.send(r));
      }
      p.flush();
      for (Future<RecordMetadata> f : sent) {
        f.get();
      }
    }
    checkMatrix(t, CLIENT, codec);
    Runner.manifestAdd(codec);
  }

  /** Reads partition 0 of a matrix topic and compares every record with what its producer wrote. */
  static void checkMatrix(String topic, String producer, String codec) throws Exception {
    List<ConsumerRecord<byte[], byte[]>> got = readAssigned(topic, List.of(0), MATRIX_RECORDS);
    expect(got.size() == MATRIX_RECORDS, "read " + got.size() + " records, want " + MATRIX_RECORDS);
    for (int i = 0; i < MATRIX_RECORDS; i++) {
      ConsumerRecord<byte[], byte[]> r = got.get(i);
      expect(r.offset() == i, "record " + i + " at offset " + r.offset());
      expect(str(r.key()).equals("key-" + i), "offset " + i + ": key " + str(r.key()));
      String want = Runner.matrixValue(producer, codec, i);
      expect(str(r.value()).equals(want), "offset " + i + ": value " + str(r.value()) + ", want " + want);
      Header[] hs = r.headers().toArray();
      expect(hs.length == 1 && hs[0].key().equals("producer") && str(hs[0].value()).equals(producer),
          "offset " + i + ": headers " + List.of(hs));
    }
  }

  /**
   * 30 keyed records over 5 keys into 3 partitions: each lands in the partition
   * the default partitioner computes (murmur2 of the key), in produce order at
   * offsets 0, 1, 2... per partition, and reads back with its header.
   */
  static void keyedPartitioning() throws Exception {
    String t = topic("keyed");
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 3);
    }
    Map<Integer, Long> next = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (int i = 0; i < 30; i++) {
        byte[] key = bytes("key-" + i % 5);
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(t, key, bytes("value-" + i));
        r.headers().add("origin", bytes(CLIENT));
        RecordMetadata m = p.send(r).get();
        int want = Utils.toPositive(Utils.murmur2(key)) % 3;
        expect(m.partition() == want, "key-" + i % 5 + " in partition " + m.partition() + ", want " + want);
        long off = next.getOrDefault(m.partition(), 0L);
        expect(m.offset() == off, "value-" + i + " at offset " + m.offset() + ", want " + off);
        next.put(m.partition(), off + 1);
      }
    }
    List<ConsumerRecord<byte[], byte[]>> got = readAssigned(t, List.of(0, 1, 2), 30);
    expect(got.size() == 30, "read " + got.size() + " records, want 30");
    Map<Integer, Long> seen = new HashMap<>();
    Map<Integer, Integer> last = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : got) {
      int i = Integer.parseInt(str(r.value()).substring("value-".length()));
      expect(str(r.key()).equals("key-" + i % 5), "value-" + i + " under key " + str(r.key()));
      expect(r.offset() == seen.getOrDefault(r.partition(), 0L), "partition " + r.partition()
          + ": offset " + r.offset() + ", want " + seen.getOrDefault(r.partition(), 0L));
      expect(i > last.getOrDefault(r.partition(), -1), "value-" + i + " out of order");
      Header h = r.headers().lastHeader("origin");
      expect(h != null && str(h.value()).equals(CLIENT), "value-" + i + ": header missing");
      seen.put(r.partition(), r.offset() + 1);
      last.put(r.partition(), i);
    }
  }

  /** seek to an offset, offsetsForTimes, beginning and end offsets, seekToEnd. */
  static void seekOffsetAndTime() throws Exception {
    String t = topic("seek");
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 1);
    }
    long t0 = System.currentTimeMillis() - 100_000;
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (int i = 0; i < 10; i++) {
        p.send(new ProducerRecord<>(t, 0, t0 + i * 1000L, null, bytes("v" + i))).get();
      }
    }
    TopicPartition tp = new TopicPartition(t, 0);
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      c.assign(List.of(tp));
      Duration d = Duration.ofSeconds(10);
      expect(c.beginningOffsets(List.of(tp), d).get(tp) == 0, "beginningOffsets " + c.beginningOffsets(List.of(tp), d));
      expect(c.endOffsets(List.of(tp), d).get(tp) == 10, "endOffsets " + c.endOffsets(List.of(tp), d));
      Map<TopicPartition, OffsetAndTimestamp> byTime = c.offsetsForTimes(Map.of(tp, t0 + 3500), d);
      OffsetAndTimestamp ot = byTime.get(tp);
      expect(ot != null && ot.offset() == 4 && ot.timestamp() == t0 + 4000,
          "offsetsForTimes(t0+3.5s) = " + ot + ", want offset 4 at t0+4s");
      byTime = c.offsetsForTimes(Map.of(tp, System.currentTimeMillis() + 3_600_000), d);
      expect(byTime.get(tp) == null, "offsetsForTimes(future) = " + byTime.get(tp) + ", want null");
      c.seek(tp, 6);
      List<ConsumerRecord<byte[], byte[]>> got = pollN(c, 4);
      expect(got.size() == 4 && got.get(0).offset() == 6 && str(got.get(0).value()).equals("v6")
          && got.get(0).timestamp() == t0 + 6000, "after seek(6): " + describe(got));
      c.seek(tp, ot.offset());
      got = pollN(c, 1);
      expect(!got.isEmpty() && got.get(0).offset() == 4, "after seek(offsetsForTimes): " + describe(got));
      c.seekToEnd(List.of(tp));
      expect(c.position(tp, d) == 10, "position after seekToEnd " + c.position(tp, d));
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> pollN(KafkaConsumer<byte[], byte[]> c, int n) {
    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 10000;
    while (got.size() < n && System.currentTimeMillis() < deadline) {
      c.poll(Duration.ofMillis(200)).forEach(got::add);
    }
    return got;
  }

  static String describe(List<ConsumerRecord<byte[], byte[]>> rs) {
    List<String> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : rs) {
      out.add(r.partition() + "/" + r.offset() + "=" + str(r.value()));
    }
    return out.size() > 12 ? out.subList(0, 12) + "..." : out.toString();
  }

  static Set<Integer> partitions(Set<TopicPartition> tps) {
    Set<Integer> out = new HashSet<>();
    tps.forEach(tp -> out.add(tp.partition()));
    return out;
  }
}
