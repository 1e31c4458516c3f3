package gregor.compat.sc;

import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The Kafka Streams application the kafka-streams checks run, as a child JVM:
 * a word count (a KTable through a repartition topic, its store backed by a
 * changelog), a tumbling one-minute window count of the same words, and a
 * stream-table join of clicks with users. It runs until SIGTERM (then closes
 * cleanly) or SIGKILL, and prints "state RUNNING" and every finished restore
 * ("restored STORE PARTITION N") on standard output.
 *
 * <p>Arguments: BOOTSTRAP APPLICATION_ID STATE_DIR GUARANTEE TOPIC_PREFIX.
 */
public final class StreamsApp {
  private StreamsApp() {}

  static String lines(String prefix) {
    return prefix + "-lines";
  }

  static String users(String prefix) {
    return prefix + "-users";
  }

  static String clicks(String prefix) {
    return prefix + "-clicks";
  }

  static String counts(String prefix) {
    return prefix + "-counts";
  }

  static String windowed(String prefix) {
    return prefix + "-windowed-counts";
  }

  static String joined(String prefix) {
    return prefix + "-clicks-by-region";
  }

  static Topology topology(String prefix) {
    StreamsBuilder b = new StreamsBuilder();
    KStream<String, String> text = b.stream(lines(prefix), Consumed.with(Serdes.String(), Serdes.String()));
    KGroupedStream<String, String> words = text
        .flatMapValues(v -> Arrays.asList(v.toLowerCase().split("\\W+")))
        .filter((k, w) -> !w.isEmpty())
        .groupBy((k, w) -> w, Grouped.with("words", Serdes.String(), Serdes.String()));
    words.count(Materialized.as("word-counts")).toStream()
        .to(counts(prefix), Produced.with(Serdes.String(), Serdes.Long()));
    words.windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofDays(1)))
        .count(Materialized.as("windowed-counts")).toStream()
        .map((wk, c) -> KeyValue.pair(wk.key() + "@" + wk.window().start(), c))
        .to(windowed(prefix), Produced.with(Serdes.String(), Serdes.Long()));
    KTable<String, String> userRegions = b.table(users(prefix), Consumed.with(Serdes.String(), Serdes.String()),
        Materialized.as("user-regions"));
    b.stream(clicks(prefix), Consumed.with(Serdes.String(), Serdes.String()))
        .join(userRegions, (click, region) -> click + "@" + region)
        .to(joined(prefix), Produced.with(Serdes.String(), Serdes.String()));
    return b.build();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: streams-app BOOTSTRAP APPLICATION_ID STATE_DIR GUARANTEE TOPIC_PREFIX");
      System.exit(2);
    }
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    p.put(StreamsConfig.STATE_DIR_CONFIG, args[2]);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[3]);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
    // Every update of a count is sent downstream (no record cache), so the
    // output topics hold every step of every count: 1, 2, 3... per key.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    // A killed instance leaves the group after 6 s, not Streams' 45 s.
    p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
    p.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1500);
    KafkaStreams streams = new KafkaStreams(topology(args[4]), p);
    streams.setGlobalStateRestoreListener(new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition tp, String store, long start, long end) {}

      @Override
      public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {}

      @Override
      public void onRestoreEnd(TopicPartition tp, String store, long total) {
        System.out.println("restored " + store + " " + tp.partition() + " " + total);
        System.out.flush();
      }
    });
    CountDownLatch closed = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.out.println("state " + now);
      System.out.flush();
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        closed.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(20))));
    streams.start();
    closed.await();
    System.exit(1); // ERROR, or closed without a SIGTERM
  }
}
