package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consoleConsumerFlags are kafka-console-consumer.sh's flags.
type consoleConsumerFlags struct {
	conn           connFlags
	topic          string
	group          string
	fromBeginning  bool
	partition      int32
	offset         string
	maxMessages    int
	timeoutMs      int64
	properties     []string
	consumerProps  []string
	consumerConfig string
	isolationLevel string
	include        string
	formatter      string
	formatterProps []string // --formatter-property, Kafka 4.1's name for --property
	formatterFile  string
	keyDeser       string
	valueDeser     string
	skipOnError    bool
}

func newConsoleConsumerCommand() *cobra.Command {
	f := &consoleConsumerFlags{}
	cmd := &cobra.Command{
		Use:   "console-consumer",
		Short: "Print records of a topic to standard output (kafka-console-consumer.sh)",
		Long: `Consume a topic and print one record per line, as kafka-console-consumer.sh
does. Stops after --max-messages records, after --timeout-ms without a new
record, or on Ctrl-C, then prints "Processed a total of N messages" on
standard error.

Without --group the consumer reads every partition directly (no group, no
commits). With --group it joins the consumer group, commits offsets
automatically (every auto.commit.interval.ms, 5 seconds by default) and
commits what it printed when it exits. It first checks that the cluster
serves consumer groups and has a coordinator for the group, and stops with
the reason if not.

Where to start: the end of each partition by default (auto.offset.reset);
the beginning with --from-beginning; or one partition (--partition) from
--offset, which is a number, earliest or latest. In a group, a partition
with a committed offset starts there: --from-beginning only applies to
partitions the group has not committed yet.

Formatter properties (--property), printed in this order before the value:
  print.timestamp=true  CreateTime:<ms> (or LogAppendTime:<ms>)
  print.partition=true  Partition:<n>
  print.offset=true     Offset:<n>
  print.headers=true    k1:v1,k2:v2 (or NO_HEADERS)
  print.key=true        the key (null when absent)
  print.value=false     omit the value
  key.separator=SEP     between the printed fields (default a tab)
  line.separator=SEP    after each record (default a newline)
  print.epoch=true      Epoch:<leader epoch>
  headers.separator, null.literal; --formatter-config FILE; --key-deserializer
  and --value-deserializer take only StringDeserializer`,
		Example: `  # Everything in the topic, then wait for more
  gregor console-consumer --bootstrap-server localhost:9092 --topic orders --from-beginning

  # The first 10 records with their keys, "key:value"
  gregor console-consumer --bootstrap-server localhost:9092 --topic orders --from-beginning \
      --property print.key=true --property key.separator=: --max-messages 10

  # Partition 2 from offset 100, with partition and offset; stop after 5 idle seconds
  gregor console-consumer --bootstrap-server localhost:9092 --topic orders \
      --partition 2 --offset 100 --property print.partition=true \
      --property print.offset=true --timeout-ms 5000

  # As a member of a group, committing as it goes
  gregor console-consumer --bootstrap-server localhost:9092 --topic orders --group audit`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsoleConsumer(cmd, f)
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "", "REQUIRED: the topic to consume")
	fl.StringVar(&f.group, "group", "", "the consumer group to join")
	fl.BoolVar(&f.fromBeginning, "from-beginning", false, "start at the earliest offset rather than the latest")
	fl.Int32Var(&f.partition, "partition", -1, "consume only this partition")
	fl.StringVar(&f.offset, "offset", "", "with --partition: the start offset, a number, earliest or latest (default latest)")
	fl.IntVar(&f.maxMessages, "max-messages", 0, "exit after this many records (default: no limit)")
	fl.Int64Var(&f.timeoutMs, "timeout-ms", 0, "exit when no record arrives for this many milliseconds")
	fl.StringArrayVar(&f.properties, "property", nil, "a formatter property, key=value (repeatable)")
	fl.StringArrayVar(&f.consumerProps, "consumer-property", nil, "a consumer property, key=value (repeatable)")
	alias(fl, "command-property", "consumer-property")
	fl.StringVar(&f.consumerConfig, "consumer.config", "", "a consumer properties file")
	for flag, instead := range map[string]string{"consumer-property": "command-property", "consumer.config": "command-config",
		"property": "formatter-property"} {
		deprecate(cmd, flag, "Option --"+flag+" is deprecated and will be removed in a future version. Use --"+instead+" instead.")
	}
	fl.StringVar(&f.isolationLevel, "isolation-level", "", "read_uncommitted (default) or read_committed")
	fl.StringVar(&f.include, "include", "", "a regular expression of the topics to consume (instead of --topic)")
	fl.StringVar(&f.formatter, "formatter", defaultFormatters[0], "the formatter class: DefaultMessageFormatter or NoOpMessageFormatter")
	fl.StringArrayVar(&f.formatterProps, "formatter-property", nil, "a formatter property, as --property (Kafka 4.1's name)")
	fl.StringVar(&f.formatterFile, "formatter-config", "", "a formatter properties file; --property takes precedence")
	fl.StringVar(&f.keyDeser, "key-deserializer", "", "the key deserializer: only "+stringDeserializer)
	fl.StringVar(&f.valueDeser, "value-deserializer", "", "the value deserializer: only "+stringDeserializer)
	fl.BoolVar(&f.skipOnError, "skip-message-on-error", false, "skip a record that cannot be processed (formatting here cannot fail)")
	refuse(cmd, refusal{"enable-systest-events", false, "Kafka's system-test event log"})
	return cmd
}

func runConsoleConsumer(cmd *cobra.Command, f *consoleConsumerFlags) error {
	if err := f.checkTopicArgs(); err != nil {
		return err
	}
	p, err := consoleConsumerProps(f)
	if err != nil {
		return err
	}
	format, err := f.recordFormatter(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	opts, err := consoleConsumerOptions(f, p, cmd)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cl, err := connect(ctx, f.conn.bootstrapServer, opts...)
	if err != nil {
		return err
	}
	defer closeConsumer(cl, cmd.ErrOrStderr())
	if f.topic != "" {
		if _, err := lookupTopic(ctx, adminFor(cl), f.topic); err != nil {
			return err
		}
	}
	if group := p["group.id"]; group != "" {
		if err := checkGroup(ctx, cl, f.conn.bootstrapServer, group); err != nil {
			return err
		}
	}
	n, err := consumeAndPrint(ctx, cl, f, format, newPrinter(cmd.OutOrStdout()))
	fmt.Fprintf(cmd.ErrOrStderr(), "Processed a total of %d messages\n", n)
	return err
}

// checkTopicArgs is kafka-console-consumer.sh's check of --topic,
// --include, --partition and --offset.
func (f *consoleConsumerFlags) checkTopicArgs() error {
	if (f.topic == "") == (f.include == "") {
		return errors.New("exactly one of --include/--topic is required")
	}
	if f.partition >= 0 && f.topic == "" {
		return errors.New("the topic is required when partition is specified")
	}
	if f.include != "" {
		if _, err := regexp.Compile(f.include); err != nil {
			return fmt.Errorf("invalid --include pattern %q: %v", f.include, err)
		}
	}
	return nil
}

// recordFormatter builds the formatter from --formatter-config, then
// --property/--formatter-property, then the deserializer flags, as Kafka's
// formatterArgs does, warning about keys the formatter does not read.
func (f *consoleConsumerFlags) recordFormatter(warn io.Writer) (*recordFormatter, error) {
	p, err := loadPropsFile(f.formatterFile)
	if err != nil {
		return nil, err
	}
	flagProps, err := parseProps(append(f.formatterProps, f.properties...))
	if err != nil {
		return nil, err
	}
	p.merge(flagProps)
	if f.keyDeser != "" {
		p["key.deserializer"] = f.keyDeser
	}
	if f.valueDeser != "" {
		p["value.deserializer"] = f.valueDeser
	}
	if err := checkFormatter(f.formatter, p); err != nil {
		return nil, err
	}
	warnUnknown(warn, "--formatter-property", withoutDeserializerProps(p), formatterProps)
	format, err := newRecordFormatter(p)
	if err == nil {
		format.noOp = slices.Contains(noOpFormatters, f.formatter)
	}
	return format, err
}

// withoutDeserializerProps drops the "key.deserializer.x" style keys, which
// configure a deserializer rather than the formatter.
func withoutDeserializerProps(p props) props {
	out := props{}
	for k, v := range p {
		if !strings.HasPrefix(k, "key.deserializer.") && !strings.HasPrefix(k, "value.deserializer.") &&
			!strings.HasPrefix(k, "headers.deserializer.") {
			out[k] = v
		}
	}
	return out
}

// consoleConsumerProps merges --command-config, --consumer.config,
// --consumer-property and the dedicated flags, later sources winning.
func consoleConsumerProps(f *consoleConsumerFlags) (props, error) {
	p, err := loadPropsFile(f.conn.commandConfig)
	if err != nil {
		return nil, err
	}
	fileProps, err := loadPropsFile(f.consumerConfig)
	if err != nil {
		return nil, err
	}
	flagProps, err := parseProps(f.consumerProps)
	if err != nil {
		return nil, err
	}
	if err := sameGroupIDs(f.group, flagProps["group.id"], fileProps["group.id"]); err != nil {
		return nil, err
	}
	p.merge(fileProps).merge(flagProps)
	if f.group != "" {
		p["group.id"] = f.group
	}
	if f.isolationLevel != "" {
		p["isolation.level"] = f.isolationLevel
	}
	return p, nil
}

// sameGroupIDs refuses different group ids from --group,
// --consumer-property and --consumer.config, as Kafka's console consumer
// does.
func sameGroupIDs(ids ...string) error {
	var given []string
	for _, id := range ids {
		if id != "" && !slices.Contains(given, id) {
			given = append(given, id)
		}
	}
	if len(given) > 1 {
		return fmt.Errorf("the group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '%s'",
			strings.Join(given, "', '"))
	}
	return nil
}

// startOffset is where a partition without a committed offset starts:
// the beginning with --from-beginning, else auto.offset.reset (latest by
// default). With a group, a committed offset always wins.
func startOffset(f *consoleConsumerFlags, p props) (kgo.Offset, error) {
	reset, set := p["auto.offset.reset"]
	if f.fromBeginning {
		if set && reset != "earliest" {
			return kgo.Offset{}, fmt.Errorf("can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', as the former implies 'auto.offset.reset=earliest'", reset)
		}
		return kgo.NewOffset().AtStart(), nil
	}
	switch reset {
	case "", "latest":
		return kgo.NewOffset().AtEnd(), nil
	case "earliest":
		return kgo.NewOffset().AtStart(), nil
	case "none":
		return kgo.NoResetOffset(), nil
	}
	return kgo.Offset{}, fmt.Errorf("invalid value %q for configuration auto.offset.reset: expected earliest, latest or none", reset)
}

// consoleConsumerOptions resolves where to start and how to assign
// partitions, as kafka-console-consumer.sh's argument checks do.
func consoleConsumerOptions(f *consoleConsumerFlags, p props, cmd *cobra.Command) ([]kgo.Opt, error) {
	opts, err := clientOptions(p, consumerProps, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	common, err := consumerCommonOptions(p)
	if err != nil {
		return nil, err
	}
	opts = append(opts, common...)
	start, err := startOffset(f, p)
	if err != nil {
		return nil, err
	}
	if f.offset != "" && f.partition < 0 {
		return nil, errors.New("the partition is required when offset is specified: pass --partition")
	}
	if f.partition >= 0 {
		if p["group.id"] != "" {
			return nil, errors.New("options group and partition cannot be specified together")
		}
		if f.offset != "" {
			if f.fromBeginning {
				return nil, errors.New("options from-beginning and offset cannot be specified together")
			}
			if start, err = parseStartOffset(f.offset); err != nil {
				return nil, err
			}
		}
		return append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			f.topic: {f.partition: start},
		})), nil
	}
	if f.include != "" {
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics("^(?:"+f.include+")$"))
	} else {
		opts = append(opts, kgo.ConsumeTopics(f.topic))
	}
	opts = append(opts, kgo.ConsumeResetOffset(start))
	if g := p["group.id"]; g != "" {
		opts = append(opts, kgo.ConsumerGroup(g))
		autoCommit, err := p.bool("enable.auto.commit", true)
		if err != nil {
			return nil, err
		}
		if !autoCommit {
			opts = append(opts, kgo.DisableAutoCommit())
		}
	}
	return opts, nil
}

// consumerCommonOptions maps isolation.level, shared by both consumers.
func consumerCommonOptions(p props) ([]kgo.Opt, error) {
	switch strings.ToLower(p["isolation.level"]) {
	case "", "read_uncommitted":
		return nil, nil
	case "read_committed":
		return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}, nil
	}
	return nil, fmt.Errorf("invalid isolation level %q: expected read_committed or read_uncommitted", p["isolation.level"])
}

// parseStartOffset reads --offset: a number, earliest or latest.
func parseStartOffset(s string) (kgo.Offset, error) {
	switch strings.ToLower(s) {
	case "earliest":
		return kgo.NewOffset().AtStart(), nil
	case "latest":
		return kgo.NewOffset().AtEnd(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return kgo.Offset{}, fmt.Errorf("invalid --offset %q: expected a non-negative number, earliest or latest", s)
	}
	return kgo.NewOffset().At(n), nil
}

// consumeAndPrint polls until ctx ends (Ctrl-C), --max-messages records
// were printed, or --timeout-ms passes without a record. It returns the
// number printed; interruption and the idle timeout are not errors.
func consumeAndPrint(ctx context.Context, cl *kgo.Client, f *consoleConsumerFlags, format *recordFormatter, out *printer) (int, error) {
	defer out.flush()
	n := 0
	for f.maxMessages <= 0 || n < f.maxMessages {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if f.timeoutMs > 0 {
			pollCtx, cancel = context.WithTimeout(ctx, time.Duration(f.timeoutMs)*time.Millisecond)
		}
		want := -1
		if f.maxMessages > 0 {
			want = f.maxMessages - n
		}
		fetches := cl.PollRecords(pollCtx, want)
		cancel()
		// Print what was polled even when interrupted: with a group,
		// closing commits every polled record.
		fetches.EachRecord(func(r *kgo.Record) {
			if f.maxMessages <= 0 || n < f.maxMessages {
				format.write(out, r)
				n++
			}
		})
		if err := out.flush(); err != nil {
			return n, err
		}
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return n, nil
		}
		idle := fetches.Empty()
		var fetchErr error
		fetches.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				idle = true
			} else if fetchErr == nil {
				fetchErr = fmt.Errorf("fetching %s-%d: %w", topic, partition, err)
			}
		})
		if fetchErr != nil {
			return n, fetchErr
		}
		if idle && f.timeoutMs > 0 && fetches.NumRecords() == 0 {
			return n, nil
		}
	}
	return n, nil
}

// closeConsumer commits what was consumed (when the client is a group
// member with autocommit), leaves the group, and closes the client, all
// within a bounded time. A failed commit is a warning on warn.
func closeConsumer(cl *kgo.Client, warn io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if member, _ := cl.GroupMetadata(); member != "" && !autoCommitDisabled(cl) {
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			warnf(warn, "Could not commit the consumed offsets on exit: %s", describeRequestError(err, ctx, 5*time.Second))
		}
	}
	_ = cl.LeaveGroupContext(ctx)
	cl.Close()
}

func autoCommitDisabled(cl *kgo.Client) bool {
	v := cl.OptValue(kgo.DisableAutoCommit)
	disabled, _ := v.(bool)
	return disabled
}

// defaultFormatters are the --formatter classes this tool honours: Kafka's
// DefaultMessageFormatter under its old and new names. NoOpMessageFormatter
// prints nothing, as Kafka's.
var defaultFormatters = []string{"org.apache.kafka.tools.consumer.DefaultMessageFormatter", "kafka.tools.DefaultMessageFormatter"}

var noOpFormatters = []string{"org.apache.kafka.tools.consumer.NoOpMessageFormatter", "kafka.tools.NoOpMessageFormatter"}

// stringDeserializer is the one deserializer this tool honours: Kafka's
// StringDeserializer prints the bytes as UTF-8 text, as the default does.
const stringDeserializer = "org.apache.kafka.common.serialization.StringDeserializer"

// formatterProps are the properties DefaultMessageFormatter reads; keys
// prefixed by a deserializer's name plus "." configure that deserializer.
var formatterProps = []string{"print.timestamp", "print.key", "print.value", "print.partition", "print.offset",
	"print.delivery", "print.epoch", "print.headers", "key.separator", "line.separator", "headers.separator",
	"null.literal", "key.deserializer", "value.deserializer", "headers.deserializer"}

// checkFormatter refuses a formatter or deserializer this tool cannot
// honour, naming what it can.
func checkFormatter(class string, p props) error {
	if !slices.Contains(defaultFormatters, class) && !slices.Contains(noOpFormatters, class) {
		return fmt.Errorf("--formatter %s is not supported: this tool formats with %s (or prints nothing with %s)",
			class, defaultFormatters[0], noOpFormatters[0])
	}
	for _, key := range []string{"key.deserializer", "value.deserializer", "headers.deserializer"} {
		if v, ok := p[key]; ok && v != stringDeserializer {
			return fmt.Errorf("%s %s is not supported: only %s, which prints what the default prints", key, v, stringDeserializer)
		}
	}
	return nil
}

// recordFormatter prints records as Kafka's DefaultMessageFormatter does.
type recordFormatter struct {
	timestamp, partition, offset, delivery, epoch, headers, key, value bool
	noOp                                                               bool // NoOpMessageFormatter

	keySeparator, lineSeparator []byte
	headersSeparator            []byte
	nullLiteral                 []byte
	scratch                     []byte
}

func newRecordFormatter(p props) (*recordFormatter, error) {
	f := &recordFormatter{
		keySeparator:     []byte(propOr(p, "key.separator", "\t")),
		lineSeparator:    []byte(propOr(p, "line.separator", "\n")),
		headersSeparator: []byte(propOr(p, "headers.separator", ",")),
		nullLiteral:      []byte(propOr(p, "null.literal", "null")),
		value:            true,
	}
	for key, dst := range map[string]*bool{
		"print.timestamp": &f.timestamp, "print.partition": &f.partition, "print.offset": &f.offset,
		"print.delivery": &f.delivery, "print.epoch": &f.epoch, "print.headers": &f.headers,
		"print.key": &f.key, "print.value": &f.value,
	} {
		if _, ok := p[key]; ok {
			*dst = javaBool(p, key) // "true" in any case is true; anything else false, as Kafka
		}
	}
	return f, nil
}

func propOr(p props, key, def string) string {
	if v, ok := p[key]; ok {
		return v
	}
	return def
}

// write prints r as DefaultMessageFormatter.writeTo does: each enabled
// field in Kafka's order, key.separator after a field when another
// follows, line.separator after the last one.
func (f *recordFormatter) write(out *printer, r *kgo.Record) {
	if f.noOp {
		return
	}
	b := f.scratch[:0]
	fields := []bool{f.timestamp, f.partition, f.offset, f.delivery, f.epoch, f.headers, f.key, f.value}
	for i, on := range fields {
		if !on {
			continue
		}
		b = f.appendField(b, i, r)
		if slices.Contains(fields[i+1:], true) {
			b = append(b, f.keySeparator...)
		} else {
			b = append(b, f.lineSeparator...)
		}
	}
	out.raw(b)
	f.scratch = b
}

// appendField appends field i of write's order.
func (f *recordFormatter) appendField(b []byte, i int, r *kgo.Record) []byte {
	switch i {
	case 0:
		return strconv.AppendInt(append(b, timestampType(r)+":"...), r.Timestamp.UnixMilli(), 10)
	case 1:
		return strconv.AppendInt(append(b, "Partition:"...), int64(r.Partition), 10)
	case 2:
		return strconv.AppendInt(append(b, "Offset:"...), r.Offset, 10)
	case 3:
		return append(b, "Delivery:NOT_PRESENT"...) // a share-group delivery count; plain consumers have none
	case 4:
		if r.LeaderEpoch < 0 {
			return append(b, "Epoch:NOT_PRESENT"...)
		}
		return strconv.AppendInt(append(b, "Epoch:"...), int64(r.LeaderEpoch), 10)
	case 5:
		return f.appendHeaders(b, r.Headers)
	case 6:
		return f.appendNullable(b, r.Key)
	}
	return f.appendNullable(b, r.Value)
}

// appendHeaders prints "k1:v1,k2:v2" (the ':' is fixed in Kafka's
// formatter), or NO_HEADERS.
func (f *recordFormatter) appendHeaders(b []byte, headers []kgo.RecordHeader) []byte {
	if len(headers) == 0 {
		return append(b, "NO_HEADERS"...)
	}
	for i, h := range headers {
		if i > 0 {
			b = append(b, f.headersSeparator...)
		}
		b = append(append(b, h.Key...), ':')
		b = f.appendNullable(b, h.Value)
	}
	return b
}

func (f *recordFormatter) appendNullable(b, v []byte) []byte {
	if v == nil {
		return append(b, f.nullLiteral...)
	}
	return append(b, v...)
}

func timestampType(r *kgo.Record) string {
	if r.Attrs.TimestampType() == 1 {
		return "LogAppendTime"
	}
	return "CreateTime"
}
