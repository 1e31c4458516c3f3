package gregor.compat.sc;

import static gregor.compat.sc.Main.await;
import static gregor.compat.sc.Main.expect;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * MirrorMaker 2 checks: MirrorMaker in dedicated mode copies a topic, its
 * configs and a consumer group's offsets from the broker under test (cluster
 * "src") to a second gregor server that this runner starts (cluster "dst",
 * from COMPAT_GREGOR; or COMPAT_MM2_TARGET names one already running). The
 * copy is read back record by record, and a consumer of the group moves to
 * the target cluster and resumes from the translated offsets without losing
 * a record.
 */
final class MirrorChecks {
  static final int RECORDS = 300;
  static final int MORE = 60;

  private final String prefix = Main.name("m");
  private final String topic = prefix + "-orders";
  private final String remote = "src." + topic;
  private final String group = prefix + "-group";
  private String target;
  private Process targetServer;
  private Process mirror;
  private final Map<Integer, Long> upstreamCommitted = new HashMap<>();
  private final Map<Integer, Long> translated = new HashMap<>();
  private int produced = 0;
  private boolean broken = false;

  private MirrorChecks() {}

  static void all() {
    new MirrorChecks().run();
  }

  private void run() {
    step("replicate-topic", 150, () -> {
      target = Main.env("COMPAT_MM2_TARGET", "");
      if (target.isEmpty()) {
        target = startTarget();
      }
      try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
        Main.createTopics(admin, 3, topic);
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(
            new ConfigEntry("retention.ms", "86400000"), AlterConfigOp.OpType.SET)))).all().get();
      }
      produce(RECORDS);
      mirror = Main.startJava(prefix + "-mirrormaker", "-Xmx320m", "org.apache.kafka.connect.mirror.MirrorMaker",
          writeProperties().toString());
      awaitCopy(Duration.ofSeconds(120));
      // The group has read everything so far on the source and committed there;
      // more records arrive, which it has not read; replication goes on.
      commitUpstream();
      produce(MORE);
      awaitCopy(Duration.ofSeconds(30));
    });
    step("topic-configs", 30, () -> {
      try (Admin admin = Main.admin(target)) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, remote);
        String[] last = {""};
        await(Duration.ofSeconds(20), () -> {
          try {
            last[0] = admin.describeConfigs(List.of(r)).all().get().get(r).get("retention.ms").value();
            return last[0].equals("86400000");
          } catch (Exception e) {
            last[0] = e.toString();
            return false;
          }
        }, () -> remote + " has retention.ms=" + last[0] + ", want the source topic's 86400000");
      }
    });
    step("group-offsets-translated", 90, () -> {
      try (Admin admin = Main.admin(target)) {
        String[] last = {""};
        long[] allSince = {0};
        await(Duration.ofSeconds(80), () -> {
          try {
            Map<TopicPartition, OffsetAndMetadata> got =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            last[0] = "target " + got + ", source " + upstreamCommitted;
            boolean exact = true;
            Map<Integer, Long> now = new HashMap<>();
            for (Map.Entry<Integer, Long> e : upstreamCommitted.entrySet()) {
              OffsetAndMetadata o = got.get(new TopicPartition(remote, e.getKey()));
              // Translated from MirrorMaker's offset syncs: never past the source's
              // commit (no record is skipped). It is exact when MirrorMaker's
              // checkpoint ran while the sync of the last record read was still
              // held; once later syncs arrive, MirrorMaker keeps fewer of the
              // older ones and translates to an earlier offset, so a translation
              // below the commit is accepted once it has held for a while.
              if (o == null) {
                allSince[0] = 0;
                return false;
              }
              if (o.offset() > e.getValue()) {
                throw new Main.CheckFailed("partition " + e.getKey() + " translated past the source's commit: " + last[0]);
              }
              exact &= o.offset() == e.getValue();
              now.put(e.getKey(), o.offset());
            }
            if (allSince[0] == 0) {
              allSince[0] = System.nanoTime();
            }
            if (!exact && System.nanoTime() - allSince[0] < Duration.ofSeconds(15).toNanos()) {
              return false;
            }
            translated.putAll(now);
            return true;
          } catch (Exception e) {
            last[0] = e.toString();
            return false;
          }
        }, () -> "the group's offsets were not translated to the target: " + last[0]);
        System.err.println("mirrormaker2: translated " + translated + " from the source's " + upstreamCommitted);
        var names = admin.listTopics().names().get();
        for (String t : List.of("src.checkpoints.internal", "heartbeats")) {
          expect(names.contains(t), "no topic " + t + " on the target: " + names);
        }
      }
      try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
        var names = admin.listTopics().names().get();
        expect(names.contains("mm2-offset-syncs.dst.internal"), "no topic mm2-offset-syncs.dst.internal on the source");
      }
    });
    step("consumer-switches-clusters", 60, () -> {
      // The group's consumer, now on the target, resumes from the translated
      // offsets and reads the rest of the copy: every record from there on, once.
      Properties p = Main.common(target);
      p.put("group.id", group);
      p.put("key.deserializer", StringDeserializer.class.getName());
      p.put("value.deserializer", StringDeserializer.class.getName());
      p.put("auto.offset.reset", "none");
      Map<Integer, List<String>> got = new HashMap<>();
      int want = 0;
      for (long committed : translated.values()) {
        want -= (int) committed;
      }
      want += produced;
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
        c.subscribe(List.of(remote));
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        int n = 0;
        while (n < want) {
          expect(System.nanoTime() < deadline, "read " + n + " of the " + want + " records after the translated offsets");
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
            got.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset() + ":" + r.value());
            n++;
          }
        }
        c.commitSync();
      }
      Map<Integer, List<ConsumerRecord<String, byte[]>>> source = Main.readAll(Main.BOOTSTRAP, topic);
      for (var e : source.entrySet()) {
        List<String> rest = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : e.getValue()) {
          if (r.offset() >= translated.get(e.getKey())) {
            rest.add(r.offset() + ":" + new String(r.value(), StandardCharsets.UTF_8));
          }
        }
        List<String> g = got.getOrDefault(e.getKey(), List.of());
        expect(g.equals(rest), "partition " + e.getKey() + " on the target from the translated offset: got "
            + summary(g) + ", want " + summary(rest));
      }
    });
    try {
      if (mirror != null) {
        Main.stop(mirror, Duration.ofSeconds(15));
      }
      if (targetServer != null) {
        Main.stop(targetServer, Duration.ofSeconds(15));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String summary(List<String> l) {
    return l.size() + " records" + (l.isEmpty() ? "" : " [" + l.get(0) + " .. " + l.get(l.size() - 1) + "]");
  }

  private void step(String name, int timeout, Main.Check body) {
    boolean ok = Main.check(name, timeout, () -> {
      expect(!broken, "not run: an earlier mirrormaker2 check failed");
      body.run();
    });
    broken |= !ok;
  }

  /** Starts a second gregor server on free loopback ports and returns its address. */
  private String startTarget() throws Exception {
    String gregor = Main.env("COMPAT_GREGOR", "");
    expect(!gregor.isEmpty(), "COMPAT_GREGOR (a gregor binary) or COMPAT_MM2_TARGET (a broker) is needed");
    Path data = Main.WORK.resolve("target-data");
    Path log = Main.LOGS.resolve(prefix + "-target-server.log");
    targetServer = new ProcessBuilder(gregor, "server",
        "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", "http.listeners=http://127.0.0.1:0",
        "--override", "schema.registry.listeners=", "--override", "rest.proxy.listeners=",
        "--override", "log.dirs=" + data)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Pattern listeners = Pattern.compile("listeners=\"?\\[([A-Z_]+://)?([0-9.]+:[0-9]+)");
    String[] addr = {null};
    await(Duration.ofSeconds(20), () -> {
      expect(targetServer.isAlive(), "the target gregor server exited (log " + log + ")");
      try {
        Matcher m = listeners.matcher(Files.readString(log, StandardCharsets.UTF_8));
        if (m.find()) {
          addr[0] = m.group(2);
        }
      } catch (java.io.IOException e) {
        return false;
      }
      return addr[0] != null;
    }, () -> "the target gregor server printed no listeners line");
    System.err.println("mirrormaker2: target gregor pid " + targetServer.pid() + " on " + addr[0]);
    return addr[0];
  }

  private void produce(int n) throws Exception {
    Properties p = Main.common(Main.BOOTSTRAP);
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("acks", "all");
    try (KafkaProducer<String, String> pr = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++, produced++) {
        pr.send(new ProducerRecord<>(topic, "key-" + produced, "order-" + produced));
      }
      pr.flush();
    }
  }

  /** The group commits the end offsets of every partition on the source. */
  private void commitUpstream() throws Exception {
    Properties p = Main.common(Main.BOOTSTRAP);
    p.put("group.id", group);
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        tps.add(new TopicPartition(topic, i));
      }
      Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(10));
      Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
      for (TopicPartition tp : tps) {
        long o = end.get(tp);
        commit.put(tp, new OffsetAndMetadata(o));
        upstreamCommitted.put(tp.partition(), o);
      }
      c.commitSync(commit, Duration.ofSeconds(10));
    }
    System.err.println("mirrormaker2: committed on the source " + upstreamCommitted);
  }

  private Path writeProperties() throws Exception {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("clusters", "src, dst");
    p.put("src.bootstrap.servers", Main.BOOTSTRAP);
    p.put("dst.bootstrap.servers", target);
    p.put("src->dst.enabled", "true");
    p.put("src->dst.topics", topic);
    p.put("src->dst.groups", group);
    p.put("dst->src.enabled", "false");
    for (String t : List.of("replication.factor", "checkpoints.topic.replication.factor",
        "heartbeats.topic.replication.factor", "offset-syncs.topic.replication.factor",
        "offset.storage.replication.factor", "status.storage.replication.factor", "config.storage.replication.factor")) {
      p.put(t, "1");
    }
    p.put("tasks.max", "1");
    p.put("offset.lag.max", "0");
    p.put("emit.checkpoints.interval.seconds", "1");
    p.put("offset.flush.interval.ms", "1000"); // the source task's last offset sync is sent at its commit
    p.put("emit.heartbeats.interval.seconds", "1");
    p.put("sync.group.offsets.enabled", "true");
    p.put("sync.group.offsets.interval.seconds", "1");
    p.put("refresh.topics.interval.seconds", "5");
    p.put("refresh.groups.interval.seconds", "5");
    p.put("sync.topic.configs.interval.seconds", "5");
    p.put("sync.topic.acls.enabled", "false");
    Path f = Main.WORK.resolve("mm2.properties");
    Main.writeProperties(f, p);
    return f;
  }

  /** Waits until the copy on the target holds the source topic's records, partition by partition. */
  private void awaitCopy(Duration timeout) throws InterruptedException {
    String[] last = {""};
    await(timeout, () -> {
      expect(mirror.isAlive(), "MirrorMaker exited with status " + (mirror.isAlive() ? 0 : mirror.exitValue()));
      try {
        var src = Main.readAll(Main.BOOTSTRAP, topic);
        var dst = Main.readAll(target, remote);
        for (var e : src.entrySet()) {
          List<String> want = new ArrayList<>();
          e.getValue().forEach(r -> want.add(r.offset() + ":" + r.key() + "=" + new String(r.value(), StandardCharsets.UTF_8)));
          List<String> got = new ArrayList<>();
          dst.getOrDefault(e.getKey(), List.of()).forEach(r -> got.add(r.offset() + ":" + r.key() + "="
              + new String(r.value(), StandardCharsets.UTF_8)));
          if (!got.equals(want)) {
            last[0] = "partition " + e.getKey() + ": " + summary(got) + " on the target, " + summary(want) + " on the source";
            return false;
          }
        }
        return dst.size() == src.size();
      } catch (Main.CheckFailed e) {
        throw e;
      } catch (Exception e) {
        last[0] = e.toString();
        return false;
      }
    }, () -> "the copy " + remote + " differs: " + last[0]);
  }
}
