package gregor.compat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The Java client runner of the compatibility suite: run as "checks" or
 * "matrix" by compat/run with COMPAT_BOOTSTRAP, COMPAT_PREFIX and
 * COMPAT_MANIFEST in its environment. It prints "PASS java CHECK" or
 * "FAIL java CHECK: REASON" per check on standard output, diagnostics on
 * standard error.
 */
public final class Runner {
  static final String CLIENT = "java";
  static final String BOOTSTRAP = env("COMPAT_BOOTSTRAP", "127.0.0.1:9092");
  static final String PREFIX = env("COMPAT_PREFIX", "compat");
  static final String MANIFEST = env("COMPAT_MANIFEST", "");
  static final List<String> CODECS = List.of("gzip", "snappy", "lz4", "zstd");
  static final int MATRIX_RECORDS = 20;

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

  private Runner() {}

  public static void main(String[] args) {
    String phase = args.length > 0 ? args[0] : "";
    switch (phase) {
      case "checks" -> ClientChecks.all();
      case "matrix" -> ClientChecks.matrix();
      default -> {
        System.err.println("usage: run checks|matrix");
        System.exit(2);
      }
    }
    System.exit(0); // a timed-out check's thread must not keep the JVM alive
  }

  /** Runs one check in its own thread, bounded by timeoutSeconds, and prints its result. */
  static void check(String name, int timeoutSeconds, Check body) {
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
    }
    System.err.printf("-- %s: %d ms%n", name, (System.nanoTime() - started) / 1_000_000);
    String line = (error[0] == null ? "PASS " : "FAIL ") + CLIENT + " " + name;
    if (error[0] != null) {
      String reason = error[0].replaceAll("\\s+", " ").trim();
      line += ": " + reason.substring(0, Math.min(300, reason.length()));
    }
    System.out.println(line);
    System.out.flush();
  }

  static void expect(boolean cond, String message) {
    if (!cond) {
      throw new CheckFailed(message);
    }
  }

  static String topic(String name) {
    return PREFIX + "-" + CLIENT + "-" + name;
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  static Properties common() {
    Properties p = new Properties();
    p.put("bootstrap.servers", BOOTSTRAP);
    p.put("client.id", "compat-java");
    return p;
  }

  static Admin admin() {
    Properties p = common();
    p.put("default.api.timeout.ms", "15000");
    p.put("request.timeout.ms", "10000");
    return Admin.create(p);
  }

  static void createTopic(Admin admin, String name, int partitions) throws Exception {
    admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
  }

  // --- the codec matrix ---------------------------------------------------------

  static String matrixTopic(String producer, String codec) {
    return PREFIX + "-matrix-" + producer + "-" + codec;
  }

  static String matrixValue(String producer, String codec, int i) {
    return producer + "/" + codec + "/" + i + "/" + "0123456789".repeat(10);
  }

  static void manifestAdd(String codec) throws IOException {
    String line = matrixTopic(CLIENT, codec) + " " + CLIENT + " " + codec + "\n";
    Files.writeString(Path.of(MANIFEST), line, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** The matrix topics written in this run: {topic, producer, codec}. */
  static List<String[]> manifestEntries() throws IOException {
    List<String[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(MANIFEST), StandardCharsets.UTF_8)) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 3) {
        out.add(f);
      }
    }
    return out;
  }
}
