package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
}

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
	fl.StringVar(&f.producerConfig, "producer.config", "", "a producer properties file")
	fl.StringVar(&f.compressionCodec, "compression-codec", "", "none, gzip, snappy, lz4 or zstd (gzip if given without a value)")
	fl.Lookup("compression-codec").NoOptDefVal = "gzip"
	fl.StringVar(&f.requestRequiredAcks, "request-required-acks", "", "the acks setting: all (-1), 1 or 0 (default all)")
	fl.BoolVar(&f.sync, "sync", false, "send each record synchronously, waiting for its acknowledgement")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// lineReader turns input lines into records as Kafka's LineMessageReader
// does, after the --property settings.
type lineReader struct {
	parseKey    bool
	separator   []byte
	nullMarker  []byte
	ignoreError bool
}

func newLineReader(p props) (*lineReader, error) {
	r := &lineReader{separator: []byte("\t")}
	var err error
	if r.parseKey, err = p.bool("parse.key", false); err != nil {
		return nil, err
	}
	if r.ignoreError, err = p.bool("ignore.error", false); err != nil {
		return nil, err
	}
	if v, ok := p["key.separator"]; ok && v != "" {
		r.separator = []byte(v)
	}
	if v, ok := p["null.marker"]; ok {
		r.nullMarker = []byte(v)
	}
	return r, nil
}

// record fills rec from line (without its line terminator); lineNumber is
// 1-based, for the error message.
func (r *lineReader) record(rec *kgo.Record, line []byte, lineNumber int) error {
	rec.Key, rec.Value = nil, line
	if r.parseKey {
		i := bytes.Index(line, r.separator)
		switch {
		case i >= 0:
			rec.Key, rec.Value = line[:i], line[i+len(r.separator):]
		case !r.ignoreError:
			return fmt.Errorf("no key separator found on line number %d: '%s'", lineNumber, line)
		}
	}
	rec.Key, rec.Value = r.nullable(rec.Key), r.nullable(rec.Value)
	return nil
}

func (r *lineReader) nullable(b []byte) []byte {
	if r.nullMarker != nil && bytes.Equal(b, r.nullMarker) {
		return nil
	}
	return b
}

func runConsoleProducer(cmd *cobra.Command, f *consoleProducerFlags) error {
	p, err := consoleProducerProps(f)
	if err != nil {
		return err
	}
	readerProps, err := parseProps(f.properties)
	if err != nil {
		return err
	}
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
