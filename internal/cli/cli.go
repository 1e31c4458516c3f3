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
	"github.com/twmb/franz-go/pkg/kmsg"
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
// Each takes Kafka's --version (printing root.Version) and refuses the
// flags of Kafka's tool it does not support (see refuse).
func AddCommands(root *cobra.Command) {
	tools := []*cobra.Command{
		newTopicsCommand(),
		newConfigsCommand(),
		newConsoleProducerCommand(),
		newConsoleConsumerCommand(),
		newProducerPerfCommand(),
		newConsumerPerfCommand(),
		newConsumerGroupsCommand(),
		newMetadataQuorumCommand(),
		newACLsCommand(),
		newReassignPartitionsCommand(),
		newLeaderElectionCommand(),
		newTransactionsCommand(),
		newGetOffsetsCommand(),
		newDeleteRecordsCommand(),
		newLogDirsCommand(),
		newFeaturesCommand(),
		newBrokerAPIVersionsCommand(),
		newDelegationTokensCommand(),
		newClusterCommand(),
	}
	guard(root, tools)
	root.AddCommand(tools...)
}

// reported wraps an error whose message a tool has already printed, in
// Kafka's words and where Kafka's tool prints it ("Error: Consumer group
// 'g' does not exist." on standard output, for example).
type reported struct{ err error }

func (r reported) Error() string { return r.err.Error() }
func (r reported) Unwrap() error { return r.err }

// Printed marks err as already printed by a command outside this package
// (the storage tool), so that the binary exits non-zero without printing
// it again.
func Printed(err error) error { return reported{err} }

// Reported reports whether err was already printed by the tool that
// returned it: the binary then exits non-zero without printing it again.
func Reported(err error) bool {
	var r reported
	return errors.As(err, &r)
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

// withAdmin connects an admin tool (see adminClient) and runs fn with the
// client and a context bounded by adminTimeout, closing both after.
func (c *connFlags) withAdmin(cmd *cobra.Command, fn func(context.Context, *kgo.Client) error) error {
	cl, err := c.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	return fn(ctx, cl)
}

// apiVersions asks one broker (any, when node is nil) for its ApiVersions.
func apiVersions(ctx context.Context, cl *kgo.Client, node *int32) (*kmsg.ApiVersionsResponse, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "gregor-cli", "1"
	var resp kmsg.Response
	var err error
	if node != nil {
		resp, err = cl.Broker(int(*node)).Request(ctx, req)
	} else {
		resp, err = cl.Request(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	av := resp.(*kmsg.ApiVersionsResponse)
	return av, kerr.ErrorForCode(av.ErrorCode)
}

// adminClient connects an admin tool: the client configs of
// --command-config, then a ping of --bootstrap-server (see connect).
func (c *connFlags) adminClient(cmd *cobra.Command) (*kgo.Client, error) {
	props, err := loadPropsFile(c.commandConfig)
	if err != nil {
		return nil, err
	}
	opts, err := clientOptions(props, nil, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	return connect(cmd.Context(), c.bootstrapServer, opts...)
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
		if notKafka(err) {
			return nil, fmt.Errorf("no Kafka broker answered at %s (is it another service?)", bootstrap)
		}
		return nil, fmt.Errorf("cannot reach bootstrap server %s: %s", bootstrap, describeNetError(err, pingCtx))
	}
	return cl, nil
}

// notKafka reports whether a failed first request means that something
// other than a Kafka broker answered: a response whose size prefix no
// Kafka response has (an HTTP server's "HTTP", a TLS alert, an SSH
// banner), or a connection closed in answer to ApiVersions, which every
// Kafka broker answers. kgo has no typed errors for these, so its
// messages are matched.
func notKafka(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "invalid large response size") ||
		strings.Contains(msg, "invalid negative response size") ||
		strings.Contains(msg, "correlation ID")
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

// kafkaError renders a broker error with its code's name, as in
// "NON_EMPTY_GROUP: The group is not empty.".
func kafkaError(err error, brokerMessage string) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message + ": " + kafkaMessage(err, brokerMessage)
	}
	return kafkaMessage(err, brokerMessage)
}

// warnf writes one diagnostic line to w, prefixed as Kafka's log4j lines
// on the console are.
func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "WARN "+format+"\n", args...)
}

// adminFor returns an admin client sharing cl's connections.
func adminFor(cl *kgo.Client) *kadm.Client { return kadm.NewClient(cl) }

// consumerGroupAPIs are the requests a group member sends: finding its
// coordinator, the join/sync/heartbeat/leave protocol and offset commits.
var consumerGroupAPIs = []int16{
	int16(kmsg.FindCoordinator), int16(kmsg.JoinGroup), int16(kmsg.SyncGroup),
	int16(kmsg.Heartbeat), int16(kmsg.LeaveGroup), int16(kmsg.OffsetCommit), int16(kmsg.OffsetFetch),
}

// requireAPIs fails, naming the first missing one, unless the cluster
// advertises every API in keys: a broker without consumer groups is then
// a one-line error, not a consumer that waits out its timeout.
func requireAPIs(ctx context.Context, cl *kgo.Client, bootstrap string, keys ...int16) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("cannot list the APIs of %s: %s", bootstrap, describeNetError(err, ctx))
	}
	served := make(map[int16]bool, len(resp.ApiKeys))
	for _, k := range resp.ApiKeys {
		served[k.ApiKey] = true
	}
	for _, k := range keys {
		if !served[k] {
			return fmt.Errorf("the cluster at %s does not serve consumer groups: it does not advertise %s (API key %d)",
				bootstrap, kmsg.NameForKey(k), k)
		}
	}
	return nil
}

// checkGroup fails fast, with a message naming the problem, unless the
// cluster serves consumer groups and has a coordinator for group. A
// group consumer calls it before consuming: kgo would otherwise retry
// the join in the background while the tool waited out its own timeout.
func checkGroup(ctx context.Context, cl *kgo.Client, bootstrap, group string) error {
	if err := requireAPIs(ctx, cl, bootstrap, consumerGroupAPIs...); err != nil {
		return err
	}
	_, err := findCoordinator(ctx, cl, group)
	return err
}

// findCoordinator returns the broker that coordinates group, or an error
// naming the group when none is found within pingTimeout.
func findCoordinator(ctx context.Context, cl *kgo.Client, group string) (kadm.FindCoordinatorResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	r, ok := adminFor(cl).FindGroupCoordinators(ctx, group)[group]
	switch {
	case !ok:
		return r, fmt.Errorf("cannot find the coordinator of group '%s': no answer", group)
	case r.Err != nil:
		return r, fmt.Errorf("cannot find the coordinator of group '%s': %s", group, describeRequestError(r.Err, ctx, pingTimeout))
	}
	return r, nil
}

// describeRequestError is the short reason a request failed: the Kafka
// error's description, or that nothing answered within timeout.
func describeRequestError(err error, ctx context.Context, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message + ": " + ke.Description
	}
	return err.Error()
}
