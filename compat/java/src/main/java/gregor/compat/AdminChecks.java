package gregor.compat;

import static gregor.compat.Runner.check;
import static gregor.compat.Runner.createTopic;
import static gregor.compat.Runner.expect;
import static gregor.compat.Runner.topic;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** AdminClient: every call Gregor serves, its results, and its error cases. */
final class AdminChecks {
  private AdminChecks() {}

  static void all() {
    check("admin-topics-partitions", 40, AdminChecks::topics);
    check("admin-configs", 40, AdminChecks::configs);
    check("admin-describe-cluster", 20, AdminChecks::cluster);
    check("admin-describe-log-dirs", 20, AdminChecks::logDirs);
    check("admin-describe-features", 20, AdminChecks::features);
    check("admin-list-offsets-delete-records", 40, AdminChecks::offsets);
    check("admin-consumer-groups", 40, AdminChecks::groups);
    check("error-topic-exists", 20, AdminChecks::topicExists);
    check("error-unknown-topic", 20, AdminChecks::unknownTopic);
    check("error-invalid-config", 20, AdminChecks::invalidConfig);
    check("error-invalid-partitions", 20, AdminChecks::invalidPartitions);
    check("error-group-not-empty", 40, AdminChecks::groupNotEmpty);
  }

  /** The cause of what f throws, or a failure when it throws nothing. */
  private static Throwable failure(String what, Action f) throws Exception {
    try {
      f.run();
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new Runner.CheckFailed(what + " succeeded, want an error");
  }

  private interface Action {
    void run() throws Exception;
  }

  private static void expectClass(String what, Throwable got, Class<? extends Throwable> want) {
    expect(want.isInstance(got), what + ": " + got + ", want " + want.getSimpleName());
  }

  /** createTopics with a config, describeTopics, listTopics, createPartitions, deleteTopics. */
  static void topics() throws Exception {
    String t = topic("admin-topics");
    try (Admin a = Runner.admin()) {
      CreateTopicsResult cr = a.createTopics(
          List.of(new NewTopic(t, 3, (short) 1).configs(Map.of("retention.ms", "3600000"))));
      cr.all().get();
      expect(cr.numPartitions(t).get() == 3 && cr.replicationFactor(t).get() == 1,
          "createTopics result: " + cr.numPartitions(t).get() + " partitions, RF " + cr.replicationFactor(t).get());
      ConfigEntry created = cr.config(t).get().get("retention.ms");
      expect(created != null && created.value().equals("3600000"), "createTopics result config retention.ms: " + created);
      Uuid id = cr.topicId(t).get();
      expect(!id.equals(Uuid.ZERO_UUID), "createTopics result topic id " + id);
      expect(a.listTopics().names().get().contains(t), "listTopics does not list " + t);
      TopicDescription d = a.describeTopics(List.of(t)).allTopicNames().get().get(t);
      expect(d.partitions().size() == 3 && !d.isInternal() && d.topicId().equals(id), "describeTopics: " + d);
      for (TopicPartitionInfo p : d.partitions()) {
        Node leader = p.leader();
        expect(leader != null && p.replicas().equals(List.of(leader)) && p.isr().equals(List.of(leader)),
            "partition " + p.partition() + ": " + p);
      }
      a.createPartitions(Map.of(t, NewPartitions.increaseTo(5))).all().get();
      d = a.describeTopics(List.of(t)).allTopicNames().get().get(t);
      expect(d.partitions().size() == 5, "after createPartitions(5): " + d.partitions().size() + " partitions");
      a.deleteTopics(List.of(t)).all().get();
      long deadline = System.currentTimeMillis() + 10000;
      while (a.listTopics().names().get().contains(t)) {
        expect(System.currentTimeMillis() < deadline, "listTopics still lists " + t + " after deleteTopics");
        Thread.sleep(200);
      }
    }
  }

  /** describeConfigs of a topic and a broker, incrementalAlterConfigs SET and DELETE. */
  static void configs() throws Exception {
    String t = topic("admin-configs");
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
    try (Admin a = Runner.admin()) {
      a.createTopics(List.of(new NewTopic(t, 1, (short) 1).configs(Map.of("retention.ms", "3600000"))))
          .all().get();
      ConfigEntry e = awaitConfig(a, r, "retention.ms", c -> c.value().equals("3600000"));
      expect(e != null && e.value().equals("3600000") && e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
          "retention.ms after create: " + e);
      e = topicConfig(a, r, "cleanup.policy");
      expect(e != null && e.value().equals("delete") && e.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG,
          "cleanup.policy by default: " + e);
      Map<ConfigResource, Collection<AlterConfigOp>> ops = Map.of(r, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("max.message.bytes", "200000"), AlterConfigOp.OpType.SET)));
      a.incrementalAlterConfigs(ops).all().get();
      e = awaitConfig(a, r, "retention.ms", c -> c.value().equals("7200000"));
      expect(e.value().equals("7200000"), "retention.ms after SET: " + e);
      e = awaitConfig(a, r, "max.message.bytes", c -> c.value().equals("200000"));
      expect(e.value().equals("200000") && e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
          "max.message.bytes after SET: " + e);
      ops = Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)));
      a.incrementalAlterConfigs(ops).all().get();
      e = awaitConfig(a, r, "retention.ms", c -> c.value().equals("604800000"));
      expect(e.value().equals("604800000") && e.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
          "retention.ms after DELETE: " + e);
      String broker = a.describeCluster().nodes().get().iterator().next().idString();
      ConfigResource b = new ConfigResource(ConfigResource.Type.BROKER, broker);
      Config bc = a.describeConfigs(List.of(b)).all().get().get(b);
      ConfigEntry mmb = bc.get("message.max.bytes");
      expect(mmb != null && !mmb.value().isEmpty(), "broker " + broker + " config message.max.bytes: " + mmb);
      a.deleteTopics(List.of(t)).all().get();
    }
  }

  private static ConfigEntry topicConfig(Admin a, ConfigResource r, String name) throws Exception {
    return a.describeConfigs(List.of(r)).all().get().get(r).get(name);
  }

  /**
   * The config entry once it satisfies want, or as it is after 15 s. Kafka
   * serves a new topic, and applies a config change, a moment after it
   * answers the request that made it (Gregor before it answers): a client
   * that reads its own write retries, and so does this check.
   */
  private static ConfigEntry awaitConfig(Admin a, ConfigResource r, String name,
      java.util.function.Predicate<ConfigEntry> want) throws Exception {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (true) {
      ConfigEntry e = null;
      try {
        e = topicConfig(a, r, name);
      } catch (java.util.concurrent.ExecutionException ex) {
        if (!(ex.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw ex;
        }
      }
      if ((e != null && want.test(e)) || System.nanoTime() > deadline) {
        return e;
      }
      Thread.sleep(100);
    }
  }

  /** describeCluster: a cluster id, the one node at the bootstrap address, a controller. */
  static void cluster() throws Exception {
    try (Admin a = Runner.admin()) {
      DescribeClusterResult d = a.describeCluster();
      String id = d.clusterId().get();
      Collection<Node> nodes = d.nodes().get();
      expect(id != null && !id.isEmpty(), "cluster id " + id);
      expect(nodes.size() == 1, "nodes " + nodes);
      Node n = nodes.iterator().next();
      expect((n.host() + ":" + n.port()).equals(Runner.BOOTSTRAP), "node " + n + ", want " + Runner.BOOTSTRAP);
      Node c = d.controller().get();
      expect(c != null && !c.isEmpty(), "controller " + c);
    }
  }

  /** describeLogDirs shows a written partition with its size. */
  static void logDirs() throws Exception {
    String t = topic("admin-logdirs");
    TopicPartition p0 = new TopicPartition(t, 0);
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 1);
      try (KafkaProducer<byte[], byte[]> p = ClientChecks.producer()) {
        p.send(new ProducerRecord<>(t, 0, null, ClientChecks.bytes("x".repeat(1000)))).get();
      }
      int broker = a.describeCluster().nodes().get().iterator().next().id();
      Map<String, LogDirDescription> dirs = a.describeLogDirs(List.of(broker)).allDescriptions().get().get(broker);
      expect(dirs != null && !dirs.isEmpty(), "describeLogDirs(" + broker + "): " + dirs);
      long size = -1;
      for (LogDirDescription dir : dirs.values()) {
        expect(dir.error() == null, "log dir error " + dir.error());
        ReplicaInfo ri = dir.replicaInfos().get(p0);
        if (ri != null) {
          size = ri.size();
        }
      }
      expect(size > 1000, "describeLogDirs: " + p0 + " has size " + size + ", want > 1000");
    }
  }

  /** describeFeatures: metadata.version supported and finalized. */
  static void features() throws Exception {
    try (Admin a = Runner.admin()) {
      FeatureMetadata f = a.describeFeatures().featureMetadata().get();
      expect(f.finalizedFeatures().containsKey("metadata.version")
          && f.supportedFeatures().containsKey("metadata.version"), "describeFeatures: " + f);
    }
  }

  /** listOffsets earliest, latest and by time; deleteRecords moves the low watermark. */
  static void offsets() throws Exception {
    String t = topic("admin-offsets");
    TopicPartition p0 = new TopicPartition(t, 0);
    TopicPartition p1 = new TopicPartition(t, 1);
    long t0 = System.currentTimeMillis() - 100_000;
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 2);
      try (KafkaProducer<byte[], byte[]> p = ClientChecks.producer()) {
        for (int i = 0; i < 10; i++) {
          p.send(new ProducerRecord<>(t, 0, t0 + i * 1000L, null, ClientChecks.bytes("v" + i)));
          p.send(new ProducerRecord<>(t, 1, t0 + i * 1000L, null, ClientChecks.bytes("v" + i)));
        }
        p.flush();
      }
      expect(listOffset(a, p0, OffsetSpec.earliest()) == 0, "earliest of p0");
      expect(listOffset(a, p1, OffsetSpec.latest()) == 10, "latest of p1: " + listOffset(a, p1, OffsetSpec.latest()));
      long at = listOffset(a, p1, OffsetSpec.forTimestamp(t0 + 2500));
      expect(at == 3, "forTimestamp(t0+2.5s) of p1: " + at + ", want 3");
      at = listOffset(a, p1, OffsetSpec.maxTimestamp());
      expect(at == 9, "maxTimestamp of p1: " + at + ", want 9");
      long low = a.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(p0).get()
          .lowWatermark();
      expect(low == 4, "deleteRecords low watermark " + low + ", want 4");
      expect(listOffset(a, p0, OffsetSpec.earliest()) == 4, "earliest of p0 after deleteRecords");
      try (KafkaConsumer<byte[], byte[]> c = ClientChecks.consumer()) {
        c.assign(List.of(p0));
        c.seekToBeginning(List.of(p0));
        long pos = c.position(p0, Duration.ofSeconds(10));
        expect(pos == 4, "consumer position after seekToBeginning " + pos + ", want 4");
      }
    }
  }

  private static long listOffset(Admin a, TopicPartition tp, OffsetSpec spec) throws Exception {
    return a.listOffsets(Map.of(tp, spec)).partitionResult(tp).get().offset();
  }

  /**
   * A group with committed offsets: listConsumerGroups, describeConsumerGroups,
   * listConsumerGroupOffsets, alterConsumerGroupOffsets, deleteConsumerGroups.
   */
  @SuppressWarnings("deprecation") // listConsumerGroups: what 4.x clients and tools still call
  static void groups() throws Exception {
    String t = topic("admin-groups");
    String g = t + "-group";
    TopicPartition p0 = new TopicPartition(t, 0);
    TopicPartition p1 = new TopicPartition(t, 1);
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 2);
      try (KafkaConsumer<byte[], byte[]> c = ClientChecks.consumer("group.id", g)) {
        c.commitSync(Map.of(p0, new OffsetAndMetadata(3, "m0"), p1, new OffsetAndMetadata(5)));
      }
      Set<String> ids = new HashSet<>();
      for (ConsumerGroupListing l : a.listConsumerGroups().all().get()) {
        ids.add(l.groupId());
      }
      expect(ids.contains(g), "listConsumerGroups does not list " + g);
      ConsumerGroupDescription d = a.describeConsumerGroups(List.of(g)).all().get().get(g);
      expect(d.groupState() == GroupState.EMPTY && d.members().isEmpty(), "describeConsumerGroups: " + d);
      Map<TopicPartition, OffsetAndMetadata> offs = a.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get();
      expect(offs.size() == 2 && offs.get(p0).offset() == 3 && offs.get(p0).metadata().equals("m0")
          && offs.get(p1).offset() == 5, "listConsumerGroupOffsets: " + offs);
      a.alterConsumerGroupOffsets(g, Map.of(p0, new OffsetAndMetadata(1))).all().get();
      offs = a.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get();
      expect(offs.get(p0).offset() == 1 && offs.get(p1).offset() == 5, "after alterConsumerGroupOffsets: " + offs);
      a.deleteConsumerGroupOffsets(g, Set.of(p1)).all().get();
      offs = a.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get();
      expect(offs.size() == 1 && offs.get(p0).offset() == 1, "after deleteConsumerGroupOffsets(p1): " + offs);
      a.deleteConsumerGroups(List.of(g)).all().get();
      Map<String, Boolean> listed = new HashMap<>();
      for (ConsumerGroupListing l : a.listConsumerGroups().all().get()) {
        listed.put(l.groupId(), true);
      }
      expect(!listed.containsKey(g), "listConsumerGroups still lists " + g + " after deleteConsumerGroups");
    }
  }

  /** deleteConsumerGroups of a group with a live member. */
  static void groupNotEmpty() throws Exception {
    String t = topic("err-group");
    String g = t + "-group";
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 1);
      try (KafkaConsumer<byte[], byte[]> c = ClientChecks.consumer("group.id", g)) {
        c.subscribe(List.of(t));
        long deadline = System.currentTimeMillis() + 20000;
        while (c.assignment().isEmpty()) {
          expect(System.currentTimeMillis() < deadline, "the member was assigned nothing");
          c.poll(Duration.ofMillis(100));
        }
        expectClass("deleteConsumerGroups of a group with a member",
            failure("deleteConsumerGroups", () -> a.deleteConsumerGroups(List.of(g)).all().get()),
            GroupNotEmptyException.class);
      }
    }
  }

  static void topicExists() throws Exception {
    String t = topic("err-exists");
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 1);
      expectClass("createTopics of an existing topic",
          failure("createTopics of an existing topic", () -> createTopic(a, t, 1)), TopicExistsException.class);
    }
  }

  static void unknownTopic() throws Exception {
    String t = topic("err-unknown");
    try (Admin a = Runner.admin()) {
      expectClass("describeTopics of an unknown topic",
          failure("describeTopics", () -> a.describeTopics(List.of(t)).allTopicNames().get()),
          UnknownTopicOrPartitionException.class);
      expectClass("deleteTopics of an unknown topic",
          failure("deleteTopics", () -> a.deleteTopics(List.of(t)).all().get()),
          UnknownTopicOrPartitionException.class);
    }
  }

  static void invalidConfig() throws Exception {
    String t = topic("err-config");
    try (Admin a = Runner.admin()) {
      expectClass("createTopics with retention.ms=abc", failure("createTopics with retention.ms=abc",
          () -> a.createTopics(List.of(new NewTopic(t, 1, (short) 1).configs(Map.of("retention.ms", "abc"))))
              .all().get()), InvalidConfigurationException.class);
      createTopic(a, t, 1);
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
      Map<ConfigResource, Collection<AlterConfigOp>> ops = Map.of(r, List.of(
          new AlterConfigOp(new ConfigEntry("cleanup.policy", "sometimes"), AlterConfigOp.OpType.SET)));
      expectClass("incrementalAlterConfigs cleanup.policy=sometimes",
          failure("incrementalAlterConfigs", () -> a.incrementalAlterConfigs(ops).all().get()),
          InvalidConfigurationException.class);
    }
  }

  static void invalidPartitions() throws Exception {
    String t = topic("err-partitions");
    try (Admin a = Runner.admin()) {
      createTopic(a, t, 3);
      expectClass("createPartitions to fewer (2 of 3)",
          failure("createPartitions(2)", () -> a.createPartitions(Map.of(t, NewPartitions.increaseTo(2))).all().get()),
          InvalidPartitionsException.class);
      expectClass("createPartitions to the same count (3)",
          failure("createPartitions(3)", () -> a.createPartitions(Map.of(t, NewPartitions.increaseTo(3))).all().get()),
          InvalidPartitionsException.class);
      expectClass("createTopics with 0 partitions",
          failure("createTopics(0 partitions)", () -> createTopic(a, topic("err-zero"), 0)),
          InvalidPartitionsException.class);
    }
  }
}
