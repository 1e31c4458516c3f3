package gregor.compat.sc;

import static gregor.compat.sc.Main.await;
import static gregor.compat.sc.Main.expect;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka Streams checks: the application of {@link StreamsApp}, with
 * exactly_once_v2, run as two instances sharing the work; one is SIGKILLed and
 * restarted on an empty state dir mid-run, then both are SIGKILLed and a third
 * instance on an empty state dir finishes the input. The expected output is
 * computed here from the input: with no record cache and exactly-once, every
 * count's updates read back (read_committed) are exactly 1, 2, ..., n in
 * order, and every click is joined exactly once.
 */
final class StreamsChecks {
  static final String[] WORDS = {"kafka", "gregor", "stream", "table", "join", "window", "count", "topic",
      "offset", "record", "broker", "group", "commit", "state", "store"};
  static final int LINES_PER_PHASE = 60;
  static final int CLICKS_PER_PHASE = 30;
  static final int USERS = 8; // clicks come from USERS + 2 users: the last two have no region

  private final String prefix;
  private final String appId;
  private final String guarantee;
  private final long base = (System.currentTimeMillis() - 3_600_000L) / 60_000L * 60_000L;
  private final Random random = new Random(19);
  private final List<String> lines = new ArrayList<>(); // every line produced, in order
  private final List<long[]> lineTimes = new ArrayList<>();
  private final List<String[]> clicks = new ArrayList<>(); // {user, value}
  private int produced = 0; // phases produced
  private final List<Process> instances = new ArrayList<>();
  private int instanceCount = 0;
  private boolean broken = false;

  private StreamsChecks(String label, String guarantee) {
    this.prefix = Main.name(label);
    this.appId = prefix + "-app";
    this.guarantee = guarantee;
  }

  static void all() {
    new StreamsChecks("s", "exactly_once_v2").run();
    new StreamsChecks("alos", "at_least_once").runAtLeastOnce();
  }

  /**
   * The same application with at_least_once, where a SIGKILL may repeat
   * updates: two instances, one stopped cleanly (SIGTERM: it commits and
   * leaves the group) and restarted on an empty state dir; the outputs must be
   * exact after each third of the input.
   */
  private void runAtLeastOnce() {
    step("at-least-once-graceful-handover", 200, () -> {
      try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
        Main.createTopics(admin, 3, StreamsApp.lines(prefix), StreamsApp.users(prefix), StreamsApp.clicks(prefix),
            StreamsApp.counts(prefix), StreamsApp.windowed(prefix), StreamsApp.joined(prefix));
      }
      produceUsers();
      producePhase();
      instances.add(startInstance());
      instances.add(startInstance());
      awaitOutput(Duration.ofSeconds(90));
      Process first = instances.remove(0);
      Main.stop(first, Duration.ofSeconds(30));
      expect(first.exitValue() == 143 || first.exitValue() == 0,
          "the instance stopped with SIGTERM exited with status " + first.exitValue());
      producePhase();
      awaitOutput(Duration.ofSeconds(60));
      instances.add(startInstance());
      producePhase();
      awaitOutput(Duration.ofSeconds(60));
    });
    stopAll();
  }

  private void run() {
    step("exactly-once-two-instances", 150, () -> {
      try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
        Main.createTopics(admin, 3, StreamsApp.lines(prefix), StreamsApp.users(prefix), StreamsApp.clicks(prefix),
            StreamsApp.counts(prefix), StreamsApp.windowed(prefix), StreamsApp.joined(prefix));
      }
      produceUsers();
      producePhase();
      instances.add(startInstance());
      instances.add(startInstance());
      awaitOutput(Duration.ofSeconds(90));
    });
    step("instance-killed-and-restarted", 120, () -> {
      Main.kill(instances.remove(0));
      producePhase();
      instances.add(startInstance()); // on an empty state dir
      awaitOutput(Duration.ofSeconds(100));
    });
    step("internal-topics", 30, this::checkInternalTopics);
    step("recovery-from-changelog", 120, () -> {
      for (Process p : instances) {
        Main.kill(p);
      }
      instances.clear();
      producePhase();
      Process p = startInstance();
      instances.add(p);
      awaitOutput(Duration.ofSeconds(100));
      // Every store of every task was rebuilt from its changelog by this
      // instance: its restore listener printed them.
      Path log = Main.LOGS.resolve(appId + "-" + instanceCount + ".log");
      String out = Files.readString(log, StandardCharsets.UTF_8);
      for (String store : List.of("word-counts", "windowed-counts", "user-regions")) {
        long total = 0;
        for (int part = 0; part < 3; part++) {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^restored " + store + " " + part + " ([0-9]+)$")
              .matcher(out);
          expect(m.find(), "the new instance did not restore " + store + " partition " + part + " from its changelog");
          total += Long.parseLong(m.group(1));
        }
        expect(total > 0, "the new instance restored no record of " + store);
        expect(!store.equals("user-regions") || total == USERS,
            "the new instance restored " + total + " records of user-regions, want " + USERS);
      }
    });
    stopAll();
  }

  private void stopAll() {
    for (Process p : instances) {
      try {
        Main.stop(p, Duration.ofSeconds(25));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    instances.clear();
  }

  private void step(String name, int timeout, Main.Check body) {
    boolean ok = Main.check(name, timeout, () -> {
      expect(!broken, "not run: an earlier streams check failed");
      body.run();
    });
    broken |= !ok;
  }

  private Process startInstance() throws Exception {
    instanceCount++;
    Path state = Files.createDirectories(Main.WORK.resolve("state-" + instanceCount));
    return Main.startJava(appId + "-" + instanceCount, "-Xmx256m", Main.class.getName(), "streams-app",
        Main.BOOTSTRAP, appId, state.toString(), guarantee, prefix);
  }

  private KafkaProducer<String, String> producer() {
    Properties p = Main.common(Main.BOOTSTRAP);
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("acks", "all");
    return new KafkaProducer<>(p);
  }

  private static String user(int i) {
    return "user-" + i;
  }

  private void produceUsers() throws Exception {
    try (KafkaProducer<String, String> p = producer()) {
      for (int u = 0; u < USERS; u++) {
        p.send(new ProducerRecord<>(StreamsApp.users(prefix), null, base - 60_000L, user(u), "region-" + (u % 3))).get();
      }
    }
  }

  /** Produces the next phase of lines and clicks, each with its timestamp. */
  private void producePhase() throws Exception {
    try (KafkaProducer<String, String> p = producer()) {
      for (int i = 0; i < LINES_PER_PHASE; i++) {
        int n = lines.size();
        StringBuilder line = new StringBuilder();
        for (int w = 0, words = 3 + random.nextInt(6); w < words; w++) {
          line.append(w == 0 ? "" : w % 3 == 0 ? ", " : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        long ts = base + n * 7_000L; // about eight lines per one-minute window
        lines.add(line.toString().toUpperCase(java.util.Locale.ROOT).substring(0, 1) + line.substring(1));
        lineTimes.add(new long[] {ts});
        p.send(new ProducerRecord<>(StreamsApp.lines(prefix), null, ts, "line-" + n, lines.get(n)));
      }
      for (int i = 0; i < CLICKS_PER_PHASE; i++) {
        int n = clicks.size();
        String u = user(random.nextInt(USERS + 2));
        clicks.add(new String[] {u, "click-" + n});
        p.send(new ProducerRecord<>(StreamsApp.clicks(prefix), null, base + n * 1_000L, u, "click-" + n));
      }
      p.flush();
    }
    produced++;
  }

  /** The updates each output key must show, in order, for the input produced so far. */
  private Map<String, List<String>> expected(String which) {
    Map<String, List<String>> out = new TreeMap<>();
    switch (which) {
      case "counts", "windowed" -> {
        Map<String, Integer> n = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
          long window = lineTimes.get(i)[0] / 60_000L * 60_000L;
          for (String w : lines.get(i).toLowerCase(java.util.Locale.ROOT).split("\\W+")) {
            if (w.isEmpty()) {
              continue;
            }
            String key = which.equals("counts") ? w : w + "@" + window;
            int c = n.merge(key, 1, Integer::sum);
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(Integer.toString(c));
          }
        }
      }
      default -> {
        for (String[] c : clicks) {
          int u = Integer.parseInt(c[0].substring("user-".length()));
          if (u < USERS) {
            out.computeIfAbsent(c[0], k -> new ArrayList<>()).add(c[1] + "@region-" + (u % 3));
          }
        }
      }
    }
    return out;
  }

  /** What an output topic holds, read_committed: key -> its values in offset order. */
  private static Map<String, List<String>> actual(String topic, boolean longs) throws Exception {
    Map<String, List<String>> out = new TreeMap<>();
    try (LongDeserializer d = new LongDeserializer()) {
      for (List<ConsumerRecord<String, byte[]>> part : Main.readAll(Main.BOOTSTRAP, topic).values()) {
        for (ConsumerRecord<String, byte[]> r : part) {
          String v = longs ? Long.toString(d.deserialize(topic, r.value())) : new String(r.value(), StandardCharsets.UTF_8);
          out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(v);
        }
      }
    }
    return out;
  }

  /** Waits until the three output topics hold exactly what the input produced so far gives. */
  private void awaitOutput(Duration timeout) throws Exception {
    String[][] outputs = {{StreamsApp.counts(prefix), "counts"}, {StreamsApp.windowed(prefix), "windowed"},
        {StreamsApp.joined(prefix), "joined"}};
    String[] last = {""};
    await(timeout, () -> {
      for (Process p : instances) {
        if (!p.isAlive()) {
          last[0] = "a Streams instance exited with status " + p.exitValue();
          return false;
        }
      }
      try {
        for (String[] o : outputs) {
          Map<String, List<String>> want = expected(o[1]);
          Map<String, List<String>> got = actual(o[0], !o[1].equals("joined"));
          if (!got.equals(want)) {
            last[0] = o[0] + " differs: " + diff(want, got);
            // More updates than expected for a key can only grow: fail at once.
            for (Map.Entry<String, List<String>> e : got.entrySet()) {
              List<String> w = want.getOrDefault(e.getKey(), List.of());
              List<String> g = e.getValue();
              if (g.size() > w.size() || !w.subList(0, g.size()).equals(g)) {
                throw new Main.CheckFailed(last[0]);
              }
            }
            return false;
          }
        }
        return true;
      } catch (Main.CheckFailed e) {
        throw e;
      } catch (Exception e) {
        last[0] = e.toString();
        return false;
      }
    }, () -> last[0]);
    System.err.printf("streams: phase %d output exact (%d lines, %d clicks)%n", produced, lines.size(), clicks.size());
  }

  private static String diff(Map<String, List<String>> want, Map<String, List<String>> got) {
    for (String k : new java.util.TreeSet<>(Set.copyOf(want.keySet()))) {
      if (!want.get(k).equals(got.get(k))) {
        return "key " + k + ": want " + want.get(k) + ", got " + got.get(k);
      }
    }
    for (String k : got.keySet()) {
      if (!want.containsKey(k)) {
        return "unexpected key " + k + ": " + got.get(k);
      }
    }
    return "?";
  }

  /** Streams created its repartition topic and compacted changelogs in the broker. */
  private void checkInternalTopics() throws Exception {
    try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
      Set<String> names = admin.listTopics().names().get();
      String repartition = appId + "-words-repartition";
      expect(names.contains(repartition), "no repartition topic " + repartition);
      for (String store : List.of("word-counts", "windowed-counts", "user-regions")) {
        String changelog = appId + "-" + store + "-changelog";
        expect(names.contains(changelog), "no changelog topic " + changelog + " in " + names);
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, changelog);
        Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
        String policy = c.get("cleanup.policy").value();
        String want = store.equals("windowed-counts") ? "compact,delete" : "compact";
        expect(policy.equals(want), changelog + " has cleanup.policy=" + policy + ", want " + want);
      }
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, repartition);
      Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
      expect(c.get("cleanup.policy").value().equals("delete"), repartition + " cleanup.policy is not delete");
      // Streams deletes the records of its repartition topic that it has committed
      // (DeleteRecords): its start offsets move up from 0.
      var parts = admin.describeTopics(List.of(repartition)).allTopicNames().get().get(repartition).partitions();
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> q = new java.util.HashMap<>();
      for (var p : parts) {
        q.put(new org.apache.kafka.common.TopicPartition(repartition, p.partition()),
            org.apache.kafka.clients.admin.OffsetSpec.earliest());
      }
      long[] moved = {0};
      await(Duration.ofSeconds(20), () -> {
        try {
          moved[0] = 0;
          admin.listOffsets(q).all().get().values().forEach(i -> moved[0] += i.offset());
          return moved[0] > 0;
        } catch (Exception e) {
          return false;
        }
      }, () -> "the repartition topic's start offsets stayed at 0 (no DeleteRecords seen)");
    }
  }
}
