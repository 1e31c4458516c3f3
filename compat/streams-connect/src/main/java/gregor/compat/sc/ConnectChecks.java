package gregor.compat.sc;

import static gregor.compat.sc.Main.await;
import static gregor.compat.sc.Main.expect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Kafka Connect checks: two distributed workers (ConnectDistributed) keep
 * their config, offset and status topics in the broker and are driven through
 * their REST API; a FileStreamSource connector reads a file into a topic and a
 * FileStreamSink connector writes the topic to another file, which must equal
 * the source file line for line: after a pause and resume, and after the
 * worker running tasks is SIGKILLed (its tasks move to the other worker).
 * The workers run exactly-once source tasks (KIP-618).
 */
final class ConnectChecks {
  static final ObjectMapper JSON = new ObjectMapper();

  private final String group = Main.name("c");
  private final String topic = group + "-lines";
  private final String src = group + "-file-source";
  private final String sink = group + "-file-sink";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Process> workers = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final List<String> written = new ArrayList<>(); // every line appended to the source file
  private Path input;
  private Path output;
  private int alive = 0; // the index of a worker still running
  private boolean broken = false;

  private ConnectChecks() {}

  static void all() {
    new ConnectChecks().run();
  }

  private void run() {
    step("distributed-workers-start", 120, () -> {
      for (int i = 0; i < 2; i++) {
        startWorker(i);
      }
      for (int i = 0; i < 2; i++) {
        int w = i;
        String[] last = {""};
        await(Duration.ofSeconds(100), () -> {
          expectAlive();
          try {
            return get(w, "/").statusCode() == 200;
          } catch (IOException e) {
            last[0] = e.toString();
            return false;
          }
        }, () -> "worker " + w + "'s REST API did not answer: " + last[0]);
      }
      JsonNode root = JSON.readTree(get(0, "/").body());
      expect(root.path("version").asText().equals(System.getProperty("kafka.version", root.path("version").asText())),
          "version " + root);
      String plugins = get(0, "/connector-plugins").body();
      expect(plugins.contains("org.apache.kafka.connect.file.FileStreamSourceConnector")
          && plugins.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"),
          "the FileStream connectors are not in /connector-plugins: " + plugins);
    });
    step("file-source-to-sink", 90, () -> {
      input = Main.WORK.resolve("connect-input.txt");
      output = Main.WORK.resolve("connect-output.txt");
      Files.writeString(input, "");
      append(300);
      create(src, Map.of("connector.class", "FileStreamSource", "tasks.max", "1", "file", input.toString(),
          "topic", topic));
      create(sink, Map.of("connector.class", "FileStreamSink", "tasks.max", "1", "file", output.toString(),
          "topics", topic));
      awaitState(src, "RUNNING");
      awaitState(sink, "RUNNING");
      awaitSink(Duration.ofSeconds(60));
      JsonNode list = JSON.readTree(get(1, "/connectors").body());
      expect(list.size() == 2, "GET /connectors: " + list);
    });
    step("pause-resume", 90, () -> {
      expect(send(0, "PUT", "/connectors/" + src + "/pause", null).statusCode() == 202, "pause not accepted");
      awaitState(src, "PAUSED");
      append(50);
      Thread.sleep(3000);
      List<String> got = Files.readAllLines(output, StandardCharsets.UTF_8);
      expect(got.size() == 300, "the sink file has " + got.size() + " lines while the source is paused, want 300");
      expect(send(1, "PUT", "/connectors/" + src + "/resume", null).statusCode() == 202, "resume not accepted");
      awaitState(src, "RUNNING");
      awaitSink(Duration.ofSeconds(60));
    });
    step("internal-topics", 30, () -> {
      try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
        Set<String> names = admin.listTopics().names().get();
        for (String t : List.of(group + "-configs", group + "-offsets", group + "-status")) {
          expect(names.contains(t), "no topic " + t);
          ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
          Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
          expect(c.get("cleanup.policy").value().equals("compact"), t + " is not compacted");
        }
      }
    });
    step("worker-killed-tasks-move", 120, () -> {
      awaitCommitted();
      Thread.sleep(1500); // the source task's file position is flushed every 500 ms
      JsonNode status = JSON.readTree(get(0, "/connectors/" + src + "/status").body());
      String victimId = status.path("tasks").path(0).path("worker_id").asText();
      int victim = victimId.endsWith(":" + ports.get(0)) ? 0 : 1;
      alive = 1 - victim;
      System.err.println("connect: killing worker " + victim + " (" + victimId + ")");
      Main.kill(workers.get(victim));
      append(50);
      String survivor = "127.0.0.1:" + ports.get(alive);
      for (String c : List.of(src, sink)) {
        String[] last = {""};
        await(Duration.ofSeconds(60), () -> {
          try {
            JsonNode s = JSON.readTree(get(alive, "/connectors/" + c + "/status").body());
            last[0] = s.toString();
            JsonNode t = s.path("tasks").path(0);
            return t.path("state").asText().equals("RUNNING") && t.path("worker_id").asText().equals(survivor);
          } catch (IOException e) {
            last[0] = e.toString();
            return false;
          }
        }, () -> c + "'s task did not move to " + survivor + ": " + last[0]);
      }
      awaitSink(Duration.ofSeconds(60));
    });
    step("delete-connectors", 60, () -> {
      for (String c : List.of(src, sink)) {
        HttpResponse<String> r = send(alive, "DELETE", "/connectors/" + c, null);
        expect(r.statusCode() == 204, "DELETE /connectors/" + c + ": " + r.statusCode() + " " + r.body());
      }
      await(Duration.ofSeconds(30), () -> {
        try {
          return JSON.readTree(get(alive, "/connectors").body()).size() == 0;
        } catch (IOException e) {
          return false;
        }
      }, () -> "the connectors are still listed");
      HttpResponse<String> r = get(alive, "/connectors/" + src + "/status");
      expect(r.statusCode() == 404, "status of a deleted connector: " + r.statusCode());
    });
    for (Process p : workers) {
      try {
        Main.stop(p, Duration.ofSeconds(20));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void step(String name, int timeout, Main.Check body) {
    boolean ok = Main.check(name, timeout, () -> {
      expect(!broken, "not run: an earlier connect check failed");
      body.run();
    });
    broken |= !ok;
  }

  private void expectAlive() {
    for (Process p : workers) {
      if (!p.isAlive()) {
        throw new Main.CheckFailed("a worker exited with status " + p.exitValue() + " (see its log)");
      }
    }
  }

  private void startWorker(int i) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ports.add(port);
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", Main.BOOTSTRAP);
    p.put("group.id", group);
    p.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put("config.storage.topic", group + "-configs");
    p.put("offset.storage.topic", group + "-offsets");
    p.put("status.storage.topic", group + "-status");
    p.put("config.storage.replication.factor", "1");
    p.put("offset.storage.replication.factor", "1");
    p.put("status.storage.replication.factor", "1");
    p.put("offset.flush.interval.ms", "500");
    p.put("listeners", "http://127.0.0.1:" + port);
    p.put("rest.advertised.host.name", "127.0.0.1");
    // A lost worker's tasks are reassigned after 3 s, not Connect's 5 min.
    p.put("scheduled.rebalance.max.delay.ms", "3000");
    p.put("session.timeout.ms", "6000");
    p.put("heartbeat.interval.ms", "1500");
    p.put("plugin.discovery", "only_scan");
    // Exactly-once source tasks (KIP-618): the source task's records and its
    // file positions go in transactions, the config topic is written by the
    // leader transactionally, and a task that moves is started only after the
    // leader has fenced its earlier producers (Admin.fenceProducers).
    // COMPAT_CONNECT_EOS=0 runs Connect's default, at-least-once tasks.
    if (!Main.env("COMPAT_CONNECT_EOS", "1").equals("0")) {
      p.put("exactly.once.source.support", "enabled");
    }
    Path props = Main.WORK.resolve("worker-" + i + ".properties");
    Main.writeProperties(props, p);
    workers.add(Main.startJava(group + "-worker-" + i, "-Xmx256m", "org.apache.kafka.connect.cli.ConnectDistributed",
        props.toString()));
  }

  private HttpResponse<String> send(int worker, String method, String path, String body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(worker) + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      System.err.println("connect: " + method + " " + path + " -> " + r.statusCode() + " " + r.body());
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private HttpResponse<String> get(int worker, String path) throws IOException {
    return send(worker, "GET", path, null);
  }

  private void create(String name, Map<String, String> config) throws IOException {
    String body = JSON.writeValueAsString(Map.of("name", name, "config", config));
    HttpResponse<String> r = send(0, "POST", "/connectors", body);
    expect(r.statusCode() == 201, "POST /connectors " + name + ": " + r.statusCode() + " " + r.body());
  }

  private void awaitState(String connector, String state) throws InterruptedException {
    String[] last = {""};
    await(Duration.ofSeconds(60), () -> {
      try {
        JsonNode s = JSON.readTree(get(alive, "/connectors/" + connector + "/status").body());
        last[0] = s.toString();
        if (!s.path("connector").path("state").asText().equals(state) || s.path("tasks").size() == 0) {
          return false;
        }
        for (JsonNode t : s.path("tasks")) {
          if (!t.path("state").asText().equals(state)) {
            return false;
          }
        }
        return true;
      } catch (IOException e) {
        last[0] = e.toString();
        return false;
      }
    }, () -> connector + " is not " + state + ": " + last[0]);
  }

  /**
   * Appends n lines to the source file. ASCII only: FileStreamSource keeps its
   * position as a count of characters but skips that many bytes when a task
   * restarts, so with multi-byte characters a moved task resumes at a wrong
   * place, on any broker.
   */
  private void append(int n) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      String line = String.format("line %04d: hello, %s", written.size(), "x".repeat(written.size() % 37));
      written.add(line);
      b.append(line).append('\n');
    }
    Files.writeString(input, b.toString(), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  /** Waits until the sink file holds exactly the lines written so far; fails at once on a wrong line. */
  private void awaitSink(Duration timeout) throws InterruptedException {
    String[] last = {""};
    await(timeout, () -> {
      List<String> got;
      try {
        got = Files.exists(output) ? Files.readAllLines(output, StandardCharsets.UTF_8) : List.of();
      } catch (IOException e) {
        return false;
      }
      for (int i = 0; i < got.size(); i++) {
        if (i >= written.size() || !got.get(i).equals(written.get(i))) {
          throw new Main.CheckFailed("sink line " + (i + 1) + " is \"" + got.get(i) + "\", want "
              + (i < written.size() ? "\"" + written.get(i) + "\"" : "no more lines"));
        }
      }
      last[0] = got.size() + " of " + written.size() + " lines in the sink file";
      return got.size() == written.size();
    }, () -> last[0]);
  }

  /**
   * Waits until the sink connector's group has committed, in every partition,
   * the offset after the topic's last record (not the end offset: with
   * exactly-once source tasks, a commit marker follows the last record).
   */
  private void awaitCommitted() throws Exception {
    Map<TopicPartition, Long> want = new java.util.HashMap<>();
    Main.readAll(Main.BOOTSTRAP, topic).forEach((p, records) ->
        want.put(new TopicPartition(topic, p), records.isEmpty() ? 0 : records.get(records.size() - 1).offset() + 1));
    try (Admin admin = Main.admin(Main.BOOTSTRAP)) {
      String[] last = {""};
      await(Duration.ofSeconds(30), () -> {
        try {
          Map<TopicPartition, OffsetAndMetadata> c =
              admin.listConsumerGroupOffsets("connect-" + sink).partitionsToOffsetAndMetadata().get();
          last[0] = "committed " + c + ", want " + want;
          for (var e : want.entrySet()) {
            if (c.get(e.getKey()) == null || c.get(e.getKey()).offset() != e.getValue()) {
              return false;
            }
          }
          return true;
        } catch (Exception e) {
          last[0] = e.toString();
          return false;
        }
      }, () -> "the sink's offsets were not committed: " + last[0]);
    }
  }
}
