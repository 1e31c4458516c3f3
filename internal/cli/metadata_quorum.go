package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metadataTopic is the controller quorum's log, the one DescribeQuorum describes.
const metadataTopic = "__cluster_metadata"

type metadataQuorumFlags struct {
	conn          connFlags
	controllers   string // --bootstrap-controller
	status        bool
	replication   bool
	humanReadable bool
}

func newMetadataQuorumCommand() *cobra.Command {
	f := &metadataQuorumFlags{}
	cmd := &cobra.Command{
		Use:   "metadata-quorum",
		Short: "Describe the metadata (controller) quorum (kafka-metadata-quorum.sh)",
		Long: `Describe the controller quorum, as kafka-metadata-quorum.sh does:
  describe --status       ClusterId, LeaderId, LeaderEpoch, HighWatermark,
                          MaxFollowerLag, MaxFollowerLagTimeMs, CurrentVoters,
                          CurrentObservers
  describe --replication  a row per voter and observer: NodeId DirectoryId
                          LogEndOffset Lag LastFetchTimestamp
                          LastCaughtUpTimestamp Status (--human-readable
                          prints the timestamps as "N ms ago")`,
	}
	f.conn.register(cmd, false)
	cmd.Flags().StringVar(&f.controllers, "bootstrap-controller", "",
		"the controller(s) to connect to, as host:port[,host:port...] (their CONTROLLER listeners)")
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	describe := &cobra.Command{
		Use:   "describe",
		Short: "Describe the metadata quorum info",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDescribeQuorum(cmd, f) },
	}
	describe.Flags().BoolVar(&f.status, "status", false, "a short summary of the quorum status")
	describe.Flags().BoolVar(&f.replication, "replication", false, "detailed information about the status of replication")
	describe.Flags().BoolVar(&f.humanReadable, "human-readable", false, "human-readable output (with --replication)")
	cmd.AddCommand(describe, newQuorumChangeCommand("add-controller", "Add a controller to the KRaft controller cluster"),
		newQuorumChangeCommand("remove-controller", "Remove a controller from the KRaft controller cluster",
			refusal{"controller-id", true, ""}, refusal{"controller-directory-id", true, ""}))
	return cmd
}

// newQuorumChangeCommand is one of Kafka's KIP-853 subcommands, which
// change the set of voters. Gregor's quorum is static (its voters are
// controller.quorum.voters), so each refuses to run, naming why.
func newQuorumChangeCommand(name, short string, flags ...refusal) *cobra.Command {
	const why = "the controller quorum is static (controller.quorum.voters): KIP-853 dynamic voters are not supported"
	cmd := &cobra.Command{
		Use: name, Short: short + " (not supported)", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("metadata-quorum %s is not supported: %s", name, why)
		},
	}
	for i := range flags {
		flags[i].why = why
	}
	refuse(cmd, append(flags, refusal{"dry-run", false, why})...)
	return cmd
}

func runDescribeQuorum(cmd *cobra.Command, f *metadataQuorumFlags) error {
	switch {
	case f.status && f.replication:
		return errors.New("only one of --status or --replication may be specified with describe sub-command")
	case f.status && f.humanReadable:
		return errors.New("the option --human-readable is only supported along with --replication")
	case !f.status && !f.replication:
		return errors.New("one of --status or --replication must be specified with describe sub-command")
	case f.conn.bootstrapServer == "" && f.controllers == "":
		return errors.New("one of the arguments --bootstrap-server --bootstrap-controller is required")
	case f.conn.bootstrapServer != "" && f.controllers != "":
		return errors.New("argument --bootstrap-controller: not allowed with argument --bootstrap-server")
	}
	cl, err := f.client(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
	defer cancel()
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = metadataTopic
	p := kmsg.NewDescribeQuorumRequestTopicPartition()
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	var resp *kmsg.DescribeQuorumResponse
	if f.controllers != "" {
		if resp, err = requestController[*kmsg.DescribeQuorumResponse](ctx, cl, req); err != nil {
			if notKafka(err) {
				return fmt.Errorf("no Kafka controller answered at %s (is it another service?)", f.controllers)
			}
			return fmt.Errorf("cannot reach bootstrap controller %s: %s", f.controllers, describeNetError(err, ctx))
		}
	} else {
		resp, err = req.RequestWith(ctx, cl)
	}
	if err != nil {
		return err
	}
	q, err := quorumPartition(resp)
	if err != nil {
		return err
	}
	if f.replication {
		printReplication(cmd.OutOrStdout(), q, f.humanReadable, time.Now())
		return nil
	}
	clusterID, err := describeClusterID(ctx, cl, f.controllers != "")
	if err != nil {
		return err
	}
	printQuorumStatus(cmd.OutOrStdout(), clusterID, q, resp.Nodes)
	return nil
}

// client connects to --bootstrap-server as the admin tools do, or to
// --bootstrap-controller without the ping of connect: a controller answers
// no Metadata, which kgo pings with.
func (f *metadataQuorumFlags) client(cmd *cobra.Command) (*kgo.Client, error) {
	if f.controllers == "" {
		return f.conn.adminClient(cmd)
	}
	props, err := loadPropsFile(f.conn.commandConfig)
	if err != nil {
		return nil, err
	}
	opts, err := clientOptions(props, nil, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	seeds := seedList(f.controllers)
	if len(seeds) == 0 {
		return nil, errors.New("missing required argument: --bootstrap-controller")
	}
	base := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DialTimeout(dialTimeout), kgo.ClientID("gregor-cli")}
	return kgo.NewClient(append(base, opts...)...)
}

// describeClusterID asks the cluster for its id: a broker through
// Metadata, a controller through DescribeCluster for controller endpoints
// (a controller does not answer Metadata).
func describeClusterID(ctx context.Context, cl *kgo.Client, controllers bool) (string, error) {
	if !controllers {
		meta, err := kadm.NewClient(cl).Metadata(ctx)
		return meta.Cluster, err
	}
	req := kmsg.NewPtrDescribeClusterRequest()
	req.EndpointType = 2
	resp, err := requestController[*kmsg.DescribeClusterResponse](ctx, cl, req)
	if err != nil {
		return "", err
	}
	return resp.ClusterID, kerr.ErrorForCode(resp.ErrorCode)
}

// requestController sends req to the bootstrap controllers in turn, as
// they are (a controller answers no Metadata, so the client cannot
// discover it as a broker), and returns the first answer.
func requestController[R kmsg.Response](ctx context.Context, cl *kgo.Client, req kmsg.Request) (R, error) {
	var zero R
	var err error
	for _, b := range cl.SeedBrokers() {
		var resp kmsg.Response
		if resp, err = b.Request(ctx, req); err == nil {
			return resp.(R), nil
		}
	}
	return zero, err
}

func quorumPartition(resp *kmsg.DescribeQuorumResponse) (kmsg.DescribeQuorumResponseTopicPartition, error) {
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return kmsg.DescribeQuorumResponseTopicPartition{}, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return kmsg.DescribeQuorumResponseTopicPartition{}, errors.New("DescribeQuorum answered no partition of " + metadataTopic)
	}
	p := resp.Topics[0].Partitions[0]
	return p, kerr.ErrorForCode(p.ErrorCode)
}

// printQuorumStatus prints --status as kafka-metadata-quorum.sh does.
func printQuorumStatus(w io.Writer, clusterID string, q kmsg.DescribeQuorumResponseTopicPartition, nodes []kmsg.DescribeQuorumResponseNode) {
	leader, lagging := leaderState(q), q.CurrentVoters[0]
	for _, v := range q.CurrentVoters {
		if v.LogEndOffset < lagging.LogEndOffset {
			lagging = v
		}
	}
	lagTime := int64(-1)
	switch {
	case lagging.ReplicaID == leader.ReplicaID || lagging.LogEndOffset == leader.LogEndOffset:
		lagTime = 0
	case leader.LastCaughtUpTimestamp >= 0 && lagging.LastCaughtUpTimestamp >= 0:
		lagTime = leader.LastCaughtUpTimestamp - lagging.LastCaughtUpTimestamp
	}
	p := newPrinter(w)
	p.linef("ClusterId:              %s", clusterID)
	p.linef("LeaderId:               %d", q.LeaderID)
	p.linef("LeaderEpoch:            %d", q.LeaderEpoch)
	p.linef("HighWatermark:          %d", q.HighWatermark)
	p.linef("MaxFollowerLag:         %d", leader.LogEndOffset-lagging.LogEndOffset)
	p.linef("MaxFollowerLagTimeMs:   %d", lagTime)
	p.linef("CurrentVoters:          %s", replicaList(q.CurrentVoters, nodes))
	p.linef("CurrentObservers:       %s", replicaList(q.Observers, nodes))
	p.flush()
}

func leaderState(q kmsg.DescribeQuorumResponseTopicPartition) kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
	for _, v := range q.CurrentVoters {
		if v.ReplicaID == q.LeaderID {
			return v
		}
	}
	return kmsg.DescribeQuorumResponseTopicPartitionReplicaState{ReplicaID: q.LeaderID, LastCaughtUpTimestamp: -1}
}

// replicaList renders replicas as Kafka's tool does:
// [{"id": 1, "endpoints": ["CONTROLLER://host:9093"]}, ...].
func replicaList(rs []kmsg.DescribeQuorumResponseTopicPartitionReplicaState, nodes []kmsg.DescribeQuorumResponseNode) string {
	items := make([]string, 0, len(rs))
	for _, r := range rs {
		s := fmt.Sprintf(`{"id": %d`, r.ReplicaID)
		if r.ReplicaDirectoryID != [16]byte{} {
			s += fmt.Sprintf(`, "directoryId": "%s"`, uuidString(r.ReplicaDirectoryID))
		}
		if eps := endpointsOf(r.ReplicaID, nodes); len(eps) > 0 {
			s += `, "endpoints": ["` + strings.Join(eps, `", "`) + `"]`
		}
		items = append(items, s+"}")
	}
	return "[" + strings.Join(items, ", ") + "]"
}

func endpointsOf(id int32, nodes []kmsg.DescribeQuorumResponseNode) []string {
	var out []string
	for _, n := range nodes {
		if n.NodeID != id {
			continue
		}
		for _, l := range n.Listeners {
			host := l.Host
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			out = append(out, fmt.Sprintf("%s://%s:%d", l.Name, host, l.Port))
		}
	}
	return out
}

// printReplication prints --replication as Kafka's tool does: a table
// whose columns are padded to their widest cell, each followed by a tab.
func printReplication(w io.Writer, q kmsg.DescribeQuorumResponseTopicPartition, human bool, now time.Time) {
	leader := leaderState(q)
	var rows [][]string
	add := func(r kmsg.DescribeQuorumResponseTopicPartitionReplicaState, status string) {
		rows = append(rows, []string{
			strconv.Itoa(int(r.ReplicaID)), uuidString(r.ReplicaDirectoryID), strconv.FormatInt(r.LogEndOffset, 10),
			strconv.FormatInt(leader.LogEndOffset-r.LogEndOffset, 10),
			timestamp(r.LastFetchTimestamp, human, now), timestamp(r.LastCaughtUpTimestamp, human, now), status,
		})
	}
	add(leader, "Leader")
	for _, v := range q.CurrentVoters {
		if v.ReplicaID != q.LeaderID {
			add(v, "Follower")
		}
	}
	for _, o := range q.Observers {
		add(o, "Observer")
	}
	p := newPrinter(w)
	p.paddedColumns([]string{"NodeId", "DirectoryId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"}, rows)
	p.flush()
}

func timestamp(ms int64, human bool, now time.Time) string {
	if ms < 0 {
		return "-1"
	}
	if human {
		return fmt.Sprintf("%d ms ago", max(now.UnixMilli()-ms, 0))
	}
	return strconv.FormatInt(ms, 10)
}

// uuidString renders a UUID as Kafka does: URL-safe base64 without padding.
func uuidString(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }
