package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newBrokerAPIVersionsCommand() *cobra.Command {
	conn := &connFlags{}
	cmd := &cobra.Command{
		Use:   "broker-api-versions",
		Short: "Print the API versions every broker supports (kafka-broker-api-versions.sh)",
		Long: `Ask every broker of the cluster for its ApiVersions and print them as
kafka-broker-api-versions.sh does: a block per broker,

  HOST:PORT (id: 1 rack: null isFenced: false) -> (
  	Produce(0): 0 to 13 [usable: 13],
  	...
  )

"usable" is the newest version this tool's client speaks that the broker
serves; a client API the broker does not serve is listed as UNSUPPORTED.`,
		Example:      `  gregor broker-api-versions --bootstrap-server localhost:9092`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
				return brokerAPIVersions(ctx, cl, newPrinter(cmd.OutOrStdout()))
			})
		},
	}
	conn.register(cmd, true)
	return cmd
}

// brokerAPIVersions prints each broker's block, in node id order.
func brokerAPIVersions(ctx context.Context, cl *kgo.Client, out *printer) error {
	meta, err := adminFor(cl).BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	brokers := slices.Clone(meta.Brokers)
	slices.SortFunc(brokers, func(a, b kadm.BrokerDetail) int { return int(a.NodeID - b.NodeID) })
	for _, b := range brokers {
		rack := "null"
		if b.Rack != nil {
			rack = *b.Rack
		}
		node := fmt.Sprintf("%s:%d (id: %d rack: %s isFenced: false)", b.Host, b.Port, b.NodeID, rack)
		if av, err := apiVersions(ctx, cl, &b.NodeID); err != nil {
			out.linef("%s -> ERROR: %v", node, err)
		} else {
			out.linef("%s -> %s", node, apiVersionsText(av))
		}
	}
	return out.flush()
}

// clientAPIs are the keys Kafka 4.2's Java client lists for a broker
// (ApiKeys.clientApis()): those a broker does not serve print UNSUPPORTED.
var clientAPIs = func() []int16 {
	var keys []int16
	for _, r := range [][2]int16{{0, 3}, {8, 51}, {55, 55}, {57, 57}, {60, 61}, {64, 66}, {68, 69}, {71, 72}, {74, 81}, {83, 92}} {
		for k := r[0]; k <= r[1]; k++ {
			keys = append(keys, k)
		}
	}
	return keys
}()

// javaAPIName is the name Kafka's ApiKeys gives a key: kmsg spells a few
// differently (SASLHandshake, InitProducerID, DescribeACLs, ...).
func javaAPIName(key int16) string {
	if key == int16(kmsg.AlterPartitionAssignments) {
		return "AlterPartitionReassignments"
	}
	name := kmsg.NameForKey(key)
	if name == "" || name == "Unknown" {
		return "UNKNOWN"
	}
	return strings.NewReplacer("SASL", "Sasl", "SCRAM", "Scram", "ACLs", "Acls", "IDs", "Ids", "ID", "Id").Replace(name)
}

// apiVersionsText is Kafka's NodeApiVersions.toString(true): the APIs in
// key order, one a line, each with the newest version both sides speak.
func apiVersionsText(resp *kmsg.ApiVersionsResponse) string {
	keys := slices.Clone(resp.ApiKeys)
	for _, k := range clientAPIs {
		if name := kmsg.NameForKey(k); name != "" && name != "Unknown" &&
			!slices.ContainsFunc(keys, func(s kmsg.ApiVersionsResponseApiKey) bool { return s.ApiKey == k }) {
			keys = append(keys, kmsg.ApiVersionsResponseApiKey{ApiKey: k, MinVersion: -1})
		}
	}
	slices.SortFunc(keys, func(a, b kmsg.ApiVersionsResponseApiKey) int { return int(a.ApiKey - b.ApiKey) })
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		name := javaAPIName(k.ApiKey)
		if k.MinVersion < 0 {
			lines = append(lines, fmt.Sprintf("%s(%d): UNSUPPORTED", name, k.ApiKey))
			continue
		}
		versions := fmt.Sprint(k.MinVersion)
		if k.MaxVersion != k.MinVersion {
			versions = fmt.Sprintf("%d to %d", k.MinVersion, k.MaxVersion)
		}
		line := fmt.Sprintf("%s(%d): %s", name, k.ApiKey, versions)
		if req := kmsg.RequestForKey(k.ApiKey); req != nil {
			switch ours := req.MaxVersion(); {
			case ours < k.MinVersion:
				line += " [unusable: node too new]"
			default:
				line += fmt.Sprintf(" [usable: %d]", min(ours, k.MaxVersion))
			}
		}
		lines = append(lines, line)
	}
	return "(\n\t" + strings.Join(lines, ",\n\t") + "\n)"
}
