package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// clusterFlags are the flags every kafka-cluster.sh subcommand takes.
type clusterFlags struct {
	conn        connFlags
	controllers string // --bootstrap-controller
}

func newClusterCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Print the cluster id and the cluster's endpoints, unregister brokers (kafka-cluster.sh)",
		Long: `The cluster tool, as kafka-cluster.sh:
  cluster-id      Cluster ID: <id>
  list-endpoints  the brokers (--bootstrap-server) or the controllers
                  (--bootstrap-controller) with host, port, rack and state
  unregister      unregister a broker taken out of the cluster (--id): it
                  leaves its leaderships and ISRs and is no longer listed`,
		Example: `  gregor cluster cluster-id --bootstrap-server localhost:9092
  gregor cluster list-endpoints --bootstrap-controller localhost:9093`,
	}
	var fenced bool
	var id int32
	cmd.AddCommand(
		clusterSubcommand("cluster-id", "Get information about the ID of a cluster", nil,
			func(ctx context.Context, w io.Writer, cl *kgo.Client, f *clusterFlags) error {
				resp, err := describeCluster(ctx, cl, f, false)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(w, "Cluster ID: %s\n", resp.ClusterID)
				return err
			}),
		clusterSubcommand("list-endpoints", "List endpoints",
			func(cmd *cobra.Command) {
				cmd.Flags().BoolVar(&fenced, "include-fenced-brokers", false, "include fenced brokers when listing broker endpoints")
			},
			func(ctx context.Context, w io.Writer, cl *kgo.Client, f *clusterFlags) error {
				resp, err := describeCluster(ctx, cl, f, fenced)
				if err != nil {
					return err
				}
				printEndpoints(w, resp, f.controllers != "")
				return nil
			}),
		clusterSubcommand("unregister", "Unregister a broker",
			func(cmd *cobra.Command) {
				cmd.Flags().Int32VarP(&id, "id", "i", 0, "REQUIRED: the id of the broker to unregister")
				_ = cmd.MarkFlagRequired("id")
			},
			func(ctx context.Context, w io.Writer, cl *kgo.Client, f *clusterFlags) error {
				req := kmsg.NewPtrUnregisterBrokerRequest()
				req.BrokerID = id
				resp, err := req.RequestWith(ctx, cl)
				if errors.Is(err, kerr.UnsupportedVersion) || (err == nil && resp.ErrorCode == kerr.UnsupportedVersion.Code) ||
					isNotSupported(err) {
					_, err = fmt.Fprintln(w, "The target cluster does not support the broker unregistration API.") // Kafka's words, exit 0
					return err
				}
				if err != nil {
					return err
				}
				if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
					if resp.ErrorMessage != nil && *resp.ErrorMessage != "" {
						return errors.New(*resp.ErrorMessage) // the broker's words, as Kafka's tool prints them
					}
					return err
				}
				_, err = fmt.Fprintf(w, "Broker %d is no longer registered.\n", id)
				return err
			}),
	)
	return cmd
}

// clusterSubcommand builds one kafka-cluster.sh subcommand: its own flags
// (flags may be nil), the shared connection flags, and run.
func clusterSubcommand(name, short string, flags func(*cobra.Command),
	run func(context.Context, io.Writer, *kgo.Client, *clusterFlags) error) *cobra.Command {
	f := &clusterFlags{}
	cmd := &cobra.Command{
		Use: name, Short: short, Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case f.conn.bootstrapServer == "" && f.controllers == "":
				return errors.New("one of the arguments --bootstrap-server --bootstrap-controller is required")
			case f.conn.bootstrapServer != "" && f.controllers != "":
				return errors.New("argument --bootstrap-controller: not allowed with argument --bootstrap-server")
			}
			mq := &metadataQuorumFlags{conn: f.conn, controllers: f.controllers}
			cl, err := mq.client(cmd)
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), adminTimeout)
			defer cancel()
			return run(ctx, cmd.OutOrStdout(), cl, f)
		},
	}
	cmd.Flags().StringVarP(&f.conn.bootstrapServer, "bootstrap-server", "b", "",
		"the broker(s) to connect to, as host:port[,host:port...]")
	cmd.Flags().StringVarP(&f.controllers, "bootstrap-controller", "C", "",
		"the controller(s) to connect to, as host:port[,host:port...] (their CONTROLLER listeners)")
	cmd.Flags().StringVarP(&f.conn.commandConfig, "command-config", "c", "",
		"a properties file with client configs (security, client.id, ...)")
	alias(cmd.Flags(), "config", "command-config")
	deprecate(cmd, "config", "Option --config has been deprecated and will be removed in a future version. Use --command-config instead.")
	if flags != nil {
		flags(cmd)
	}
	return cmd
}

// describeCluster asks for the brokers (through --bootstrap-server) or the
// controllers (through --bootstrap-controller), as Kafka's admin client
// does for each.
func describeCluster(ctx context.Context, cl *kgo.Client, f *clusterFlags, fenced bool) (*kmsg.DescribeClusterResponse, error) {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeFencedBrokers = fenced
	var resp *kmsg.DescribeClusterResponse
	var err error
	if f.controllers != "" {
		req.EndpointType = 2
		resp, err = requestController[*kmsg.DescribeClusterResponse](ctx, cl, req)
		if err != nil {
			if notKafka(err) {
				return nil, fmt.Errorf("no Kafka controller answered at %s (is it another service?)", f.controllers)
			}
			return nil, fmt.Errorf("cannot reach bootstrap controller %s: %s", f.controllers, describeNetError(err, ctx))
		}
	} else {
		req.EndpointType = 1
		if resp, err = req.RequestWith(ctx, cl); err != nil {
			return nil, err
		}
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if resp.ErrorMessage != nil && *resp.ErrorMessage != "" {
			return nil, errors.New(*resp.ErrorMessage)
		}
		return nil, err
	}
	return resp, nil
}

// printEndpoints prints list-endpoints as Kafka's ClusterTool does: the
// host column as wide as the longest host, the rack column as the longest
// rack or 10, and a STATE column for brokers.
func printEndpoints(w io.Writer, resp *kmsg.DescribeClusterResponse, controllers bool) {
	hostWidth, rackWidth := 0, 0
	for _, b := range resp.Brokers {
		hostWidth = max(hostWidth, len(b.Host))
		if b.Rack != nil {
			rackWidth = max(rackWidth, len(*b.Rack))
		}
	}
	if len(resp.Brokers) == 0 {
		hostWidth = 100
	}
	if rackWidth == 0 {
		rackWidth = 10
	}
	row := func(cols ...string) {
		line := fmt.Sprintf("%-10s %-*s %-10s %-*s ", cols[0], hostWidth, cols[1], cols[2], rackWidth, cols[3])
		if !controllers {
			line += fmt.Sprintf("%-10s ", cols[4])
		}
		fmt.Fprintf(w, "%s%-15s\n", line, cols[len(cols)-1])
	}
	if controllers {
		row("ID", "HOST", "PORT", "RACK", "ENDPOINT_TYPE")
	} else {
		row("ID", "HOST", "PORT", "RACK", "STATE", "ENDPOINT_TYPE")
	}
	for _, b := range resp.Brokers {
		rack := "null"
		if b.Rack != nil {
			rack = *b.Rack
		}
		id, port := strconv.Itoa(int(b.NodeID)), strconv.Itoa(int(b.Port))
		if controllers {
			row(id, b.Host, port, rack, "controller")
			continue
		}
		state := "unfenced"
		if b.IsFenced {
			state = "fenced"
		}
		row(id, b.Host, port, rack, state, "broker")
	}
}

// isNotSupported reports whether a request failed because the broker does
// not advertise its API in ApiVersions: kgo fails it before sending, with an
// unexported error, so its message is matched.
func isNotSupported(err error) bool {
	return err != nil && strings.Contains(err.Error(), "broker is too old")
}
