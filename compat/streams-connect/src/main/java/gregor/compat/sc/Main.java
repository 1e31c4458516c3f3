package gregor.compat.sc;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Kafka Streams, Kafka Connect and MirrorMaker 2 against a broker: run by
 * compat/run as "run CLIENT checks|matrix" with COMPAT_BOOTSTRAP and
 * COMPAT_PREFIX in the environment (see ../run). Prints "PASS CLIENT CHECK" or
 * "FAIL CLIENT CHECK: REASON" per check on standard output, diagnostics on
 * standard error; the programs it starts (Streams instances, Connect workers,
 * MirrorMaker) are child JVMs whose logs go to COMPAT_LOG_DIR.
 */
public final class Main {
  static final String BOOTSTRAP = env("COMPAT_BOOTSTRAP", "127.0.0.1:9092");
  static final String PREFIX = env("COMPAT_PREFIX", "compat");
  static final Path WORK;
  static final Path LOGS;

  static {
    try {
      WORK = Files.createTempDirectory("gregor-sc");
      String logs = env("COMPAT_LOG_DIR", "");
      LOGS = logs.isEmpty() ? WORK : Path.of(logs);
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  /** A check saw something other than what it expected. */
  static final class CheckFailed extends RuntimeException {
    CheckFailed(String message) {
      super(message);
    }
  }

  /** The body of a check: any exception is its failure. */
  interface Check {
    void run() throws Exception;
  }

  private static final List<Process> children = new ArrayList<>();
  private static String client = "";

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 1 && args[0].equals("streams-app")) {
      StreamsApp.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length != 2) {
      System.err.println("usage: run kafka-streams|kafka-connect|mirrormaker2 checks|matrix");
      System.exit(2);
    }
    client = args[0];
    Runtime.getRuntime().addShutdownHook(new Thread(Main::killChildren));
    if (args[1].equals("checks")) {
      switch (client) {
        case "kafka-streams" -> StreamsChecks.all();
        case "kafka-connect" -> ConnectChecks.all();
        case "mirrormaker2" -> MirrorChecks.all();
        default -> {
          System.err.println("unknown client " + client);
          System.exit(2);
        }
      }
    } else if (!args[1].equals("matrix")) { // no codec matrix topics: nothing to read back
      System.err.println("unknown phase " + args[1]);
      System.exit(2);
    }
    killChildren();
    deleteTree(WORK.toFile());
    System.exit(0); // a timed-out check's thread must not keep the JVM alive
  }

  /** Runs one check in its own thread, bounded by timeoutSeconds, and prints its result. */
  static boolean check(String name, int timeoutSeconds, Check body) {
    System.err.println("-- " + name);
    String[] error = {null};
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        cause.printStackTrace();
        error[0] = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      }
    }, name);
    t.setDaemon(true);
    long started = System.nanoTime();
    t.start();
    try {
      t.join(timeoutSeconds * 1000L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      error[0] = "timed out after " + timeoutSeconds + "s";
      for (StackTraceElement f : t.getStackTrace()) {
        System.err.println("\tat " + f);
      }
      t.interrupt();
    }
    System.err.printf("-- %s: %d ms%n", name, (System.nanoTime() - started) / 1_000_000);
    String line = (error[0] == null ? "PASS " : "FAIL ") + client + " " + name;
    if (error[0] != null) {
      String reason = error[0].replaceAll("\\s+", " ").trim();
      line += ": " + reason.substring(0, Math.min(400, reason.length()));
    }
    System.out.println(line);
    System.out.flush();
    return error[0] == null;
  }

  static void expect(boolean cond, String message) {
    if (!cond) {
      throw new CheckFailed(message);
    }
  }

  /** Waits until cond holds, at most timeout; fails with what(). */
  static void await(Duration timeout, BooleanSupplier cond, java.util.function.Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new CheckFailed("after " + timeout.toSeconds() + "s: " + what.get());
      }
      Thread.sleep(250);
    }
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  static String name(String what) {
    return PREFIX + "-" + client + "-" + what;
  }

  static Properties common(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    return p;
  }

  static Admin admin(String bootstrap) {
    Properties p = common(bootstrap);
    p.put("default.api.timeout.ms", "20000");
    p.put("request.timeout.ms", "10000");
    return Admin.create(p);
  }

  static void createTopics(Admin admin, int partitions, String... names) throws Exception {
    List<NewTopic> topics = new ArrayList<>();
    for (String n : names) {
      topics.add(new NewTopic(n, partitions, (short) 1));
    }
    admin.createTopics(topics).all().get();
  }

  /**
   * Reads every record of topic (all partitions, read_committed) up to the end
   * offsets seen at the start, as partition -> records in offset order.
   */
  static Map<Integer, List<ConsumerRecord<String, byte[]>>> readAll(String bootstrap, String topic)
      throws Exception {
    Properties p = common(bootstrap);
    p.put("isolation.level", "read_committed");
    p.put("allow.auto.create.topics", "false");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    Map<Integer, List<ConsumerRecord<String, byte[]>>> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic, Duration.ofSeconds(10)).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(10));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      for (TopicPartition tp : tps) {
        out.put(tp.partition(), new ArrayList<>());
      }
      while (true) {
        boolean done = true;
        for (TopicPartition tp : tps) {
          if (c.position(tp) < end.get(tp)) {
            done = false;
          }
        }
        if (done) {
          break;
        }
        expect(System.nanoTime() < deadline, "reading " + topic + " to its end offsets " + end + " took over 20s");
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.get(r.partition()).add(r);
        }
      }
    }
    return out;
  }

  /** Starts a child JVM running mainClass with args; its output goes to LOGS/logName. */
  static Process startJava(String logName, String heap, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(heap);
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + env("COMPAT_SC_LOG_LEVEL", "warn"));
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    File log = LOGS.resolve(logName + ".log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
    synchronized (children) {
      children.add(p);
    }
    System.err.println("started " + logName + " pid " + p.pid() + " (log " + log + ")");
    return p;
  }

  /** Stops a child: SIGTERM, then SIGKILL after grace. */
  static void stop(Process p, Duration grace) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor();
    }
  }

  /** SIGKILLs a child and waits for it to be gone. */
  static void kill(Process p) throws InterruptedException {
    p.destroyForcibly().waitFor();
  }

  static void killChildren() {
    synchronized (children) {
      for (Process p : children) {
        p.destroyForcibly();
      }
    }
  }

  static void writeProperties(Path file, Map<String, String> props) throws IOException {
    StringBuilder b = new StringBuilder();
    props.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, b.toString());
  }

  static void deleteTree(File f) {
    File[] kids = f.listFiles();
    if (kids != null) {
      for (File k : kids) {
        deleteTree(k);
      }
    }
    f.delete();
  }
}
