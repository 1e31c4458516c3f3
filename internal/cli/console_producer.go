package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// consoleProducerFlags are kafka-console-producer.sh's flags.
type consoleProducerFlags struct {
	conn                connFlags
	topic               string
	properties          []string
	producerProps       []string
	producerConfig      string
	compressionCodec    string
	requestRequiredAcks string
	sync                bool
	readerConfig        string
	readerProperties    []string // --reader-property, Kafka 4.1's name for --property
	lineReaderClass     string
	numeric             map[string]*int64 // flag -> value, for consoleProducerNumericFlags
}

// consoleProducerNumericFlags are kafka-console-producer.sh's numeric
// flags and the producer property each sets, as Kafka's tool maps them.
var consoleProducerNumericFlags = []struct{ flag, property, usage string }{
	{"batch-size", "batch.size", "the batch size in bytes (batch.size)"},
	{"max-partition-memory-bytes", "batch.size", "the batch size in bytes (batch.size), as --batch-size"},
	{"message-send-max-retries", "retries", "the number of retries (retries)"},
	{"retry-backoff-ms", "retry.backoff.ms", "the wait before a retry (retry.backoff.ms)"},
	{"timeout", "linger.ms", "how long to wait to fill a batch (linger.ms)"},
	{"request-timeout-ms", "request.timeout.ms", "the produce request timeout (request.timeout.ms)"},
	{"metadata-expiry-ms", "metadata.max.age.ms", "the metadata refresh interval (metadata.max.age.ms)"},
	{"max-memory-bytes", "buffer.memory", "the bytes of records buffered (buffer.memory)"},
}

// lineReaderClasses are the --line-reader classes this tool honours:
// Kafka's own line reader, under its old and new names.
var lineReaderClasses = []string{"org.apache.kafka.tools.LineMessageReader", "kafka.tools.LineMessageReader"}

func newConsoleProducerCommand() *cobra.Command {
	f := &consoleProducerFlags{}
	cmd := &cobra.Command{
		Use:   "console-producer",
		Short: "Produce lines from standard input as records (kafka-console-producer.sh)",
		Long: `Read lines from standard input and produce one record per line, as
kafka-console-producer.sh does. Exits 0 once every record is acknowledged at
end of input, non-zero if any record could not be delivered.

Records with a key are partitioned as Kafka's default partitioner does
(murmur2 of the key, modulo the partition count), so a key lands on the same
partition the Java producer would pick. Records without a key are spread by
the sticky partitioner.

Reader properties (--property):
  parse.key=true       split each line into key and value at key.separator
  key.separator=SEP    the key separator (default a tab)
  null.marker=S        a key or value equal to S is produced as null
  ignore.error=true    with parse.key, produce lines without a separator as value-only

Producer properties (--producer-property, --producer.config) use Kafka's
names: acks, linger.ms, batch.size, compression.type, enable.idempotence,
client.id, max.request.size, buffer.memory, delivery.timeout.ms, retries,
request.timeout.ms. Others draw a warning.`,
		Example: `  # One record per line
  echo hello | gregor console-producer --bootstrap-server localhost:9092 --topic orders

  # Keyed records: "user1:clicked" has key user1 and value clicked
  gregor console-producer --bootstrap-server localhost:9092 --topic orders \
      --property parse.key=true --property key.separator=:

  # Leader-only acks, lz4 batches, wait for each record before the next
  gregor console-producer --bootstrap-server localhost:9092 --topic orders \
      --producer-property acks=1 --compression-codec lz4 --sync < lines.txt`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsoleProducer(cmd, f)
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "", "REQUIRED: the topic to produce to")
	fl.StringArrayVar(&f.properties, "property", nil, "a line-reader property, key=value (repeatable)")
	fl.StringArrayVar(&f.producerProps, "producer-property", nil, "a producer property, key=value (repeatable)")
	alias(fl, "command-property", "producer-property")
	fl.StringVar(&f.producerConfig, "producer.config", "", "a producer properties file")
	for flag, instead := range map[string]string{"producer-property": "command-property", "producer.config": "command-config",
		"property": "reader-property"} {
		deprecate(cmd, flag, "Warning: --"+flag+" is deprecated and will be removed in a future version. Use --"+instead+" instead.")
	}
	fl.StringVar(&f.compressionCodec, "compression-codec", "", "none, gzip, snappy, lz4 or zstd (gzip if given without a value)")
	fl.Lookup("compression-codec").NoOptDefVal = "gzip"
	fl.StringVar(&f.requestRequiredAcks, "request-required-acks", "", "the acks setting: all (-1), 1 or 0 (default all)")
	fl.BoolVar(&f.sync, "sync", false, "send each record synchronously, waiting for its acknowledgement")
	fl.StringArrayVar(&f.readerProperties, "reader-property", nil, "a line-reader property, as --property (Kafka 4.1's name)")
	fl.StringVar(&f.readerConfig, "reader-config", "", "a line-reader properties file; --property takes precedence")
	fl.StringVar(&f.lineReaderClass, "line-reader", lineReaderClasses[0], "the line reader class: only Kafka's LineMessageReader")
	f.numeric = map[string]*int64{}
	for _, n := range consoleProducerNumericFlags {
		f.numeric[n.flag] = fl.Int64(n.flag, 0, n.usage)
	}
	refuse(cmd,
		refusal{"max-block-ms", true, "the Go client blocks a send until buffer space frees, without a bound to set"},
		refusal{"socket-buffer-size", true, "the TCP buffer sizes are the operating system's"},
	)
	_ = cmd.MarkFlagRequired("topic")
	deprecate(cmd, "max-partition-memory-bytes",
		"Warning: --max-partition-memory-bytes is deprecated and will be removed in Apache Kafka 5.0. Use --batch-size instead.")
	return cmd
}

// lineReaderProps are the --property keys Kafka's LineMessageReader reads;
// others draw a warning (Kafka ignores them silently).
var lineReaderProps = []string{"parse.key", "key.separator", "parse.headers", "headers.delimiter",
	"headers.separator", "headers.key.separator", "null.marker", "ignore.error"}

// lineReader turns input lines into records as Kafka's LineMessageReader
// does, after the --property settings: "headers<TAB>key<TAB>value" with
// parse.headers and parse.key, each part optional.
type lineReader struct {
	parseKey, parseHeaders, ignoreError bool

	keySeparator        string
	headersDelimiter    string
	headersSeparator    *regexp.Regexp // a Java regular expression in Kafka, as here
	headersKeySeparator string
	nullMarker          *string // nil: no marker
}

func newLineReader(p props) (*lineReader, error) {
	r := &lineReader{
		parseKey:            javaBool(p, "parse.key"),
		parseHeaders:        javaBool(p, "parse.headers"),
		ignoreError:         javaBool(p, "ignore.error"),
		keySeparator:        propOr(p, "key.separator", "\t"),
		headersDelimiter:    propOr(p, "headers.delimiter", "\t"),
		headersKeySeparator: propOr(p, "headers.key.separator", ":"),
	}
	headersSeparator := propOr(p, "headers.separator", ",")
	var err error
	if r.headersSeparator, err = regexp.Compile(headersSeparator); err != nil {
		return nil, fmt.Errorf("invalid headers.separator %q: %v", headersSeparator, err)
	}
	if v, ok := p["null.marker"]; ok {
		r.nullMarker = &v
	}
	return r, r.checkDistinct(headersSeparator)
}

// checkDistinct refuses separators that would make a line ambiguous, with
// LineMessageReader's messages.
func (r *lineReader) checkDistinct(headersSeparator string) error {
	pairs := []struct {
		a, b   string
		aName  string
		bName  string
		marker bool
	}{
		{r.headersDelimiter, headersSeparator, "headers.delimiter", "headers.separator", false},
		{r.headersDelimiter, r.headersKeySeparator, "headers.delimiter", "headers.key.separator", false},
		{headersSeparator, r.headersKeySeparator, "headers.separator", "headers.key.separator", false},
		{r.keySeparator, "", "null.marker", "key.separator", true},
		{headersSeparator, "", "null.marker", "headers.separator", true},
		{r.headersDelimiter, "", "null.marker", "headers.delimiter", true},
		{r.headersKeySeparator, "", "null.marker", "headers.key.separator", true},
	}
	for _, c := range pairs {
		if c.marker && r.nullMarker != nil && c.a == *r.nullMarker || !c.marker && c.a == c.b {
			return fmt.Errorf("%s and %s may not be equal", c.aName, c.bName)
		}
	}
	return nil
}

// javaBool reads a reader property as Kafka does: "true" in any case,
// around spaces, is true; anything else is false.
func javaBool(p props, key string) bool {
	return strings.EqualFold(strings.TrimSpace(p[key]), "true")
}

// record fills rec from line (without its line terminator); lineNumber is
// 1-based, for the error messages.
func (r *lineReader) record(rec *kgo.Record, line []byte, lineNumber int) error {
	text := string(line)
	headers, rest, err := r.cut(r.parseHeaders, text, r.headersDelimiter, "headers delimiter", lineNumber)
	if err != nil {
		return err
	}
	key, value, err := r.cut(r.parseKey, rest, r.keySeparator, "key separator", lineNumber)
	if err != nil {
		return err
	}
	rec.Key, rec.Value, rec.Headers = r.bytes(key), r.bytes(&value), nil
	if headers != nil && !r.isNull(*headers) {
		rec.Headers, err = r.splitHeaders(*headers, lineNumber)
	}
	return err
}

// cut splits the part before demarcation off text when enabled; without
// the demarcation the line is an error, or with ignore.error the part is
// absent (nil) and text is left whole. Errors are LineMessageReader's.
func (r *lineReader) cut(enabled bool, text, demarcation, name string, lineNumber int) (*string, string, error) {
	if !enabled {
		return nil, text, nil
	}
	i := strings.Index(text, demarcation)
	if i < 0 {
		if r.ignoreError {
			return nil, text, nil
		}
		return nil, "", fmt.Errorf("No %s found on line number %d: '%s'", name, lineNumber, text)
	}
	part := text[:i]
	return &part, text[i+len(demarcation):], nil
}

// splitHeaders parses "k1:v1,k2:v2" with headers.separator (a regular
// expression, split as Java's String.split does: trailing empty pairs
// dropped) and headers.key.separator.
func (r *lineReader) splitHeaders(text string, lineNumber int) ([]kgo.RecordHeader, error) {
	var out []kgo.RecordHeader
	for _, pair := range javaSplit(r.headersSeparator, text) {
		i := strings.Index(pair, r.headersKeySeparator)
		if i < 0 {
			if !r.ignoreError {
				return nil, fmt.Errorf("No header key separator found in pair '%s' on line number %d", pair, lineNumber)
			}
			out = append(out, kgo.RecordHeader{Key: pair})
			continue
		}
		key, value := pair[:i], pair[i+len(r.headersKeySeparator):]
		if r.isNull(key) {
			return nil, fmt.Errorf("Header keys should not be equal to the null marker '%s' as they can't be null", key)
		}
		out = append(out, kgo.RecordHeader{Key: key, Value: r.bytes(&value)})
	}
	return out, nil
}

// javaSplit is Java's String.split(regex): no match leaves s whole, and
// trailing empty strings are removed.
func javaSplit(re *regexp.Regexp, s string) []string {
	parts := re.Split(s, -1)
	if len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func (r *lineReader) isNull(s string) bool { return r.nullMarker != nil && s == *r.nullMarker }

// bytes is a record field: nil when absent or equal to null.marker.
func (r *lineReader) bytes(s *string) []byte {
	if s == nil || r.isNull(*s) {
		return nil
	}
	return []byte(*s)
}

func runConsoleProducer(cmd *cobra.Command, f *consoleProducerFlags) error {
	if !slices.Contains(lineReaderClasses, f.lineReaderClass) {
		return fmt.Errorf("--line-reader %s is not supported: only %s reads lines here", f.lineReaderClass, lineReaderClasses[0])
	}
	p, err := consoleProducerProps(f)
	if err != nil {
		return err
	}
	readerProps, err := loadPropsFile(f.readerConfig)
	if err != nil {
		return err
	}
	flagReaderProps, err := parseProps(append(f.readerProperties, f.properties...))
	if err != nil {
		return err
	}
	readerProps.merge(flagReaderProps)
	warnUnknown(cmd.ErrOrStderr(), "--reader-property", readerProps, lineReaderProps)
	reader, err := newLineReader(readerProps)
	if err != nil {
		return err
	}
	opts, err := producerOptions(p, producerDefaults{
		linger: 5 * time.Millisecond, batchBytes: 16384, acks: "all", idempotent: true,
	}, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	opts = append(opts, kgo.DefaultProduceTopic(f.topic), kgo.AllowAutoTopicCreation())
	cl, err := connect(cmd.Context(), f.conn.bootstrapServer, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := ensureProducible(cmd.Context(), cl, f.topic); err != nil {
		return err
	}
	return produceLines(cmd, cl, reader, f)
}

// consoleProducerProps merges --command-config, --producer.config,
// --producer-property and the dedicated flags, later sources winning.
func consoleProducerProps(f *consoleProducerFlags) (props, error) {
	p, err := loadPropsFile(f.conn.commandConfig)
	if err != nil {
		return nil, err
	}
	fileProps, err := loadPropsFile(f.producerConfig)
	if err != nil {
		return nil, err
	}
	flagProps, err := parseProps(f.producerProps)
	if err != nil {
		return nil, err
	}
	p.merge(fileProps).merge(flagProps)
	if f.compressionCodec != "" {
		p["compression.type"] = f.compressionCodec
	}
	if f.requestRequiredAcks != "" {
		p["acks"] = f.requestRequiredAcks
	}
	for _, n := range consoleProducerNumericFlags {
		if v := f.numeric[n.flag]; v != nil && *v != 0 {
			p[n.property] = strconv.FormatInt(*v, 10)
		}
	}
	return p, nil
}

// ensureProducible fails with a clear message when topic is missing and
// the broker will not create it: without this, the producer would retry
// for its whole delivery timeout. The metadata request allows auto
// creation, as a Kafka producer's does.
func ensureProducible(ctx context.Context, cl *kgo.Client, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = true
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, t := range resp.Topics {
		err := kerr.ErrorForCode(t.ErrorCode)
		switch {
		case errors.Is(err, kerr.UnknownTopicOrPartition):
			return topicNotFound(topic)
		case err != nil && !kerr.IsRetriable(err):
			return fmt.Errorf("topic '%s': %w", topic, err)
		}
	}
	return nil
}

// produceLines produces one record per input line, then flushes. Records
// may be asynchronous; the first delivery error is reported, and the rest
// counted.
func produceLines(cmd *cobra.Command, cl *kgo.Client, reader *lineReader, f *consoleProducerFlags) error {
	ctx := cmd.Context()
	var (
		mu       sync.Mutex
		failed   int
		firstErr error
	)
	promise := func(r *kgo.Record, err error) {
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failed++; firstErr == nil {
			firstErr = err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "ERROR Error when sending message to topic %s with key: %d bytes, value: %d bytes with error: %v\n",
			f.topic, len(r.Key), len(r.Value), err)
	}
	lineNumber, inputErr := sendLines(ctx, cl, reader, cmd.InOrStdin(), f.sync, promise)
	// Flush even after bad input: the lines before it were sent, and no
	// promise may write after this returns.
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if inputErr != nil {
		return inputErr
	}
	mu.Lock()
	defer mu.Unlock()
	if failed > 0 {
		return fmt.Errorf("%d of %d records could not be delivered to topic %s: %w", failed, lineNumber, f.topic, firstErr)
	}
	return nil
}

// sendLines produces a record per line of in until EOF or bad input, and
// returns the number of lines read.
func sendLines(ctx context.Context, cl *kgo.Client, reader *lineReader, in io.Reader, sync bool, promise func(*kgo.Record, error)) (int, error) {
	buffered := bufio.NewReaderSize(in, 64<<10)
	lineNumber := 0
	for {
		line, readErr := buffered.ReadBytes('\n')
		if len(line) > 0 {
			lineNumber++
			rec := &kgo.Record{}
			if err := reader.record(rec, trimLineEnd(line), lineNumber); err != nil {
				return lineNumber, err
			}
			if sync {
				promise(rec, cl.ProduceSync(ctx, rec).FirstErr())
			} else {
				cl.Produce(ctx, rec, promise)
			}
		}
		if readErr == io.EOF {
			return lineNumber, nil
		}
		if readErr != nil {
			return lineNumber, readErr
		}
	}
}

// trimLineEnd drops "\n", "\r\n" or "\r", as Java's readLine does.
func trimLineEnd(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}
