package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// pingTimeout bounds the first round trip to the cluster: a tool that
	// cannot reach its bootstrap server says so within this time.
	pingTimeout = 8 * time.Second
	// dialTimeout bounds one TCP (and TLS) connection attempt.
	dialTimeout = 5 * time.Second
	// adminTimeout bounds each admin request, as Kafka's
	// default.api.timeout.ms does (60s there; the tools are interactive).
	adminTimeout = 30 * time.Second
)

// AddCommands adds the Kafka-named client tools to root.
func AddCommands(root *cobra.Command) {
	root.AddCommand(
		newTopicsCommand(),
		newConfigsCommand(),
		newConsoleProducerCommand(),
		newConsoleConsumerCommand(),
		newProducerPerfCommand(),
		newConsumerPerfCommand(),
	)
}

// connFlags are the connection flags every tool takes.
type connFlags struct {
	bootstrapServer string
	commandConfig   string
}

// register adds --bootstrap-server and --command-config to cmd. When
// required is set, cobra rejects a command line without --bootstrap-server
// and names the flag.
func (c *connFlags) register(cmd *cobra.Command, required bool) {
	cmd.Flags().StringVar(&c.bootstrapServer, "bootstrap-server", "",
		"REQUIRED: the server(s) to connect to, as host:port[,host:port...]")
	cmd.Flags().StringVar(&c.commandConfig, "command-config", "",
		"a properties file with client configs (security, client.id, ...)")
	if required {
		_ = cmd.MarkFlagRequired("bootstrap-server")
	}
}

// seedList splits a comma-separated bootstrap list.
func seedList(bootstrap string) []string {
	var seeds []string
	for _, s := range strings.Split(bootstrap, ",") {
		if s = strings.TrimSpace(s); s != "" {
			seeds = append(seeds, s)
		}
	}
	return seeds
}

// connect creates a client for bootstrap and pings the cluster with a
// bounded deadline: kgo retries forever by default, so without the ping a
// wrong address would hang the tool. opts come after the defaults and can
// override them.
func connect(ctx context.Context, bootstrap string, opts ...kgo.Opt) (*kgo.Client, error) {
	seeds := seedList(bootstrap)
	if len(seeds) == 0 {
		return nil, errors.New("missing required argument: --bootstrap-server")
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(dialTimeout),
		kgo.ClientID("gregor-cli"),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := cl.Ping(pingCtx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("cannot reach bootstrap server %s: %s", bootstrap, describeNetError(err, pingCtx))
	}
	return cl, nil
}

// describeNetError turns a dial or request failure into the short reason
// a user needs ("connection refused"), not the wrapped chain.
func describeNetError(err error, ctx context.Context) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return fmt.Sprintf("no response within %s", pingTimeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("cannot resolve host %q", dnsErr.Name)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return err.Error()
}

// topicNotFound is the error every tool returns for a topic the cluster
// does not have, worded as kafka-topics.sh words it.
func topicNotFound(topic string) error {
	return fmt.Errorf("Topic '%s' does not exist as expected", topic) // Kafka's wording
}

// lookupTopic returns the metadata of topic, or topicNotFound.
func lookupTopic(ctx context.Context, adm *kadm.Client, topic string) (kadm.TopicDetail, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	details, err := adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return kadm.TopicDetail{}, err
	}
	detail, ok := details[topic]
	if !ok || errors.Is(detail.Err, kerr.UnknownTopicOrPartition) {
		return kadm.TopicDetail{}, topicNotFound(topic)
	}
	if detail.Err != nil {
		return kadm.TopicDetail{}, fmt.Errorf("topic '%s': %w", topic, detail.Err)
	}
	return detail, nil
}

// kafkaMessage renders a broker error as Kafka's client would: the
// broker's own message when it sent one, else the error code's text.
func kafkaMessage(err error, brokerMessage string) string {
	if brokerMessage != "" {
		return brokerMessage
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Description
	}
	return err.Error()
}

// warnf writes one diagnostic line to w, prefixed as Kafka's log4j lines
// on the console are.
func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "WARN "+format+"\n", args...)
}

// adminFor returns an admin client sharing cl's connections.
func adminFor(cl *kgo.Client) *kadm.Client { return kadm.NewClient(cl) }
