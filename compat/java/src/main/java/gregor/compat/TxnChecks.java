package gregor.compat;

import static gregor.compat.ClientChecks.bytes;
import static gregor.compat.ClientChecks.consumer;
import static gregor.compat.ClientChecks.producer;
import static gregor.compat.ClientChecks.str;
import static gregor.compat.Runner.createTopic;
import static gregor.compat.Runner.expect;
import static gregor.compat.Runner.topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * Transactions with the Java producer at transaction.version 2 (KIP-890 part
 * 2, which the producer uses when the cluster finalizes the feature at 2):
 * partitions and offsets join the transaction with its writes, and every
 * commit or abort bumps the producer epoch.
 */
final class TxnChecks {
  private TxnChecks() {}

  static void all() {
    Runner.check("transactions-v2-commit-abort-epochs", 90, TxnChecks::commitAbortEpochs);
  }

  /**
   * Three transactions (commit, abort, commit), each writing both partitions
   * of a topic and committing a consumer group's offset: read_committed
   * reads the committed records only, read_uncommitted all of them, the
   * group's offset is the last committed one, DescribeTransactions and
   * DescribeProducers show the epoch bumped once per transaction, and a
   * second producer of the id fences the first.
   */
  static void commitAbortEpochs() throws Exception {
    String t = topic("txn-v2"), in = topic("txn-v2-in"), group = topic("txn-v2-group");
    String id = topic("txn-v2-producer");
    try (Admin a = Runner.admin()) {
      FinalizedVersionRange tv = a.describeFeatures().featureMetadata().get().finalizedFeatures().get("transaction.version");
      expect(tv != null && tv.maxVersionLevel() == 2, "transaction.version finalized at " + tv + ", want 2");
      createTopic(a, t, 2);
      createTopic(a, in, 1);
    }
    TopicPartition inTp = new TopicPartition(in, 0);
    try (KafkaProducer<byte[], byte[]> p = producer("transactional.id", id, "transaction.timeout.ms", "30000");
        Admin a = Runner.admin()) {
      p.initTransactions();
      int first = a.describeTransactions(List.of(id)).description(id).get().producerEpoch();
      String[][] txns = {{"c1-0", "c1-1"}, {"a1-0", "a1-1"}, {"c2-0", "c2-1"}};
      for (int i = 0; i < txns.length; i++) {
        p.beginTransaction();
        for (int part = 0; part < 2; part++) {
          p.send(new ProducerRecord<>(t, part, null, bytes(txns[i][part])));
        }
        p.sendOffsetsToTransaction(Map.of(inTp, new OffsetAndMetadata(10L * (i + 1))), new ConsumerGroupMetadata(group));
        if (i == 1) {
          p.flush(); // written before the abort, which would otherwise drop them unsent
          p.abortTransaction();
        } else {
          p.commitTransaction();
        }
        long want = i == 1 ? 10 : 10L * (i + 1);
        long committed = -1;
        // Kafka answers the end before its markers are written: wait for them.
        for (long deadline = System.currentTimeMillis() + 10000; committed != want && System.currentTimeMillis() < deadline; ) {
          OffsetAndMetadata om = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(inTp);
          committed = om == null ? -1 : om.offset();
          if (committed != want) {
            Thread.sleep(100);
          }
        }
        expect(committed == want, "after transaction " + i + " the group's offset is " + committed + ", want " + want);
      }
      TransactionDescription d = a.describeTransactions(List.of(id)).description(id).get();
      expect(d.producerEpoch() == first + 3, "DescribeTransactions: epoch " + d.producerEpoch() + " after 3 transactions from " + first);
      expect(d.state() == TransactionState.COMPLETE_COMMIT, "DescribeTransactions: state " + d.state());
      for (int part = 0; part < 2; part++) {
        TopicPartition tp = new TopicPartition(t, part);
        List<ProducerState> ps = a.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
        expect(ps.size() == 1 && ps.get(0).producerEpoch() == first + 3 && ps.get(0).producerId() == d.producerId(),
            "DescribeProducers " + tp + ": " + ps + ", want producer " + d.producerId() + " at epoch " + (first + 3));
      }
      try (KafkaProducer<byte[], byte[]> fresh = producer("transactional.id", id)) {
        fresh.initTransactions();
        Exception failure = null;
        try {
          p.beginTransaction();
          p.send(new ProducerRecord<>(t, 0, null, bytes("zombie"))).get();
          p.commitTransaction();
        } catch (Exception e) {
          failure = e;
        }
        expect(fenced(failure), "the fenced producer's transaction: " + failure);
      }
    }
    expect(read(t, "read_committed", 4).equals(List.of("c1-0", "c2-0", "c1-1", "c2-1")),
        "read_committed read " + read(t, "read_committed", 4));
    List<String> all = read(t, "read_uncommitted", 6);
    expect(all.size() == 6 && all.containsAll(List.of("a1-0", "a1-1")), "read_uncommitted read " + all);
  }

  /** Whether e, or one of its causes, says the producer was fenced. */
  static boolean fenced(Throwable e) {
    for (; e != null; e = e.getCause()) {
      if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException) {
        return true;
      }
    }
    return false;
  }

  /** The values of both partitions of topic, partition 0 first, read until want of them or 15 s. */
  static List<String> read(String topic, String isolation, int want) {
    List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer("isolation.level", isolation)) {
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 15000;
      while (got.size() < want && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(got::add);
      }
      c.poll(Duration.ofMillis(500)).forEach(got::add); // nothing more should come
    }
    got.sort((x, y) -> x.partition() != y.partition() ? x.partition() - y.partition() : Long.compare(x.offset(), y.offset()));
    List<String> out = new ArrayList<>();
    got.forEach(r -> out.add(str(r.value())));
    return out;
  }
}
