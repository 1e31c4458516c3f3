package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The feature levels Gregor serves, as its ApiVersions advertises them
// (internal/handler/18_api_versions.go): metadata.version runs at 29
// (4.2-IV1), kraft.version at 0 (a static quorum), group.version at 1
// (KIP-848 groups) and transaction.version at 2 for a new cluster (KIP-890
// part 2, changeable with features upgrade/downgrade); none of these levels
// depends on another feature.
const (
	MetadataVersion      = "4.2-IV1"
	metadataVersionLevel = 29
)

// featureLevel is one feature and the level Gregor finalizes it at.
type featureLevel struct {
	name  string
	level int16
}

// releaseFeatures are the features of MetadataVersion besides
// metadata.version, in Kafka's order.
var releaseFeatures = []featureLevel{{"kraft.version", 0}, {"transaction.version", 2}, {"group.version", 1}}

// metadataVersions names the metadata.version levels Gregor serves, from
// 7 (3.3-IV3, the first KRaft production level and ApiVersions' minimum)
// to metadataVersionLevel, as Kafka's MetadataVersion names them.
var metadataVersions = []string{
	"3.3-IV3", "3.4-IV0", "3.5-IV0", "3.5-IV1", "3.5-IV2", "3.6-IV0", "3.6-IV1", "3.6-IV2",
	"3.7-IV0", "3.7-IV1", "3.7-IV2", "3.7-IV3", "3.7-IV4", "3.8-IV0", "3.9-IV0", "4.0-IV0",
	"4.0-IV1", "4.0-IV2", "4.0-IV3", "4.1-IV0", "4.1-IV1", "4.2-IV0", MetadataVersion,
}

// minMetadataVersionLevel is the level of metadataVersions[0].
const minMetadataVersionLevel = metadataVersionLevel - 22

// servedLevels are the levels of each feature Gregor serves.
var servedLevels = map[string][]int16{
	"metadata.version": metadataVersionLevels(),
	"kraft.version":    {0},
	"group.version":    {0, 1},
	// transaction.version 2 is KIP-890 part 2; 1 only changes the
	// __transaction_state record format, as in Kafka.
	"transaction.version": {0, 1, 2},
}

func metadataVersionLevels() []int16 {
	var levels []int16
	for i := range metadataVersions {
		levels = append(levels, int16(minMetadataVersionLevel+i))
	}
	return levels
}

// unservedFeatures are Kafka 4.2's other production features.
var unservedFeatures = []string{"eligible.leader.replicas.version", "share.version", "streams.version"}

func NewVersionMappingCommand() *cobra.Command {
	var release string
	cmd := &cobra.Command{
		Use:   "version-mapping [--release-version 4.2-IV1]",
		Short: "Print the feature levels of Gregor's metadata version",
		Long: `Print the feature levels that go with a release version, as
kafka-storage.sh version-mapping does, for the features Gregor serves:
metadata.version 29 (4.2-IV1), kraft.version 0, transaction.version 2 and
group.version 1. Gregor
runs at one release version, so 4.2-IV1 (or 4.2) is the only one it maps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return versionMapping(cmd.OutOrStdout(), release)
		},
	}
	cmd.Flags().StringVarP(&release, "release-version", "r", MetadataVersion, "the release version to map")
	return cmd
}

// versionMapping prints release's feature levels as Kafka does:
// "metadata.version=29 (4.2-IV1)", then "name=level" per feature.
func versionMapping(out io.Writer, release string) error {
	if release != MetadataVersion && release != strings.SplitN(MetadataVersion, "-", 2)[0] {
		return fmt.Errorf("unknown release version '%s': Gregor runs at %s only", release, MetadataVersion)
	}
	fmt.Fprintf(out, "metadata.version=%d (%s)\n", metadataVersionLevel, release)
	for _, f := range releaseFeatures {
		fmt.Fprintf(out, "%s=%d\n", f.name, f.level)
	}
	return nil
}

func NewFeatureDependenciesCommand() *cobra.Command {
	var features []string
	cmd := &cobra.Command{
		Use:   "feature-dependencies --feature NAME=LEVEL...",
		Short: "Print what a feature level depends on",
		Long: `Print the dependencies of each feature level given, as kafka-storage.sh
feature-dependencies does, for the levels Gregor serves: metadata.version 7
(3.3-IV3) to 29 (4.2-IV1), kraft.version 0, group.version 0 and 1,
transaction.version 0 to 2 (none has dependencies). Kafka's other
features (share.version, streams.version, ...) are refused by name.`,
		Example: `  gregor storage feature-dependencies --feature group.version=1 --feature metadata.version=29`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range features {
				if err := featureDependencies(cmd.OutOrStdout(), f); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&features, "feature", "f", nil, "a feature level, NAME=LEVEL (repeatable)")
	cmd.MarkFlagRequired("feature")
	return cmd
}

// featureDependencies prints the dependencies of one NAME=LEVEL.
func featureDependencies(out io.Writer, arg string) error {
	name, value, ok := strings.Cut(arg, "=")
	if !ok || name == "" {
		return fmt.Errorf("invalid --feature %q: expected NAME=LEVEL, for example group.version=1", arg)
	}
	level, err := strconv.ParseInt(value, 10, 16)
	if err != nil {
		return fmt.Errorf("Invalid version format: %s for feature %s", value, name) // Kafka's wording
	}
	levels, served := servedLevels[name]
	switch {
	case slices.Contains(unservedFeatures, name):
		return fmt.Errorf("feature %s is not supported: Gregor does not serve it", name)
	case !served:
		return fmt.Errorf("Unknown feature: %s", name) // Kafka's wording
	case name == "metadata.version" && !slices.Contains(levels, int16(level)):
		return fmt.Errorf("Unknown metadata.version %d", level) // Kafka's wording
	case !slices.Contains(levels, int16(level)):
		return fmt.Errorf("Feature level %d is not supported for feature %s", level, name) // Kafka's wording
	case name == "metadata.version":
		fmt.Fprintf(out, "%s=%d (%s) has no dependencies.\n", name, level, metadataVersions[level-minMetadataVersionLevel])
	default:
		fmt.Fprintf(out, "%s=%d has no dependencies.\n", name, level)
	}
	return nil
}

// metadataVersionName names a metadata.version level as Kafka does, or
// gives the number for a level Gregor does not know.
func metadataVersionName(level int16) string {
	if i := int(level) - minMetadataVersionLevel; i >= 0 && i < len(metadataVersions) {
		return metadataVersions[i]
	}
	return strconv.Itoa(int(level))
}

func newFeaturesCommand() *cobra.Command {
	conn := &connFlags{}
	cmd := &cobra.Command{
		Use:   "features",
		Short: "Describe the cluster's feature flags (kafka-features.sh)",
		Long: `Describe the feature flags a broker supports and the levels finalized for the
cluster, as kafka-features.sh does; version-mapping and feature-dependencies
print the levels Gregor serves, as kafka-storage.sh's subcommands do.
upgrade, downgrade and disable change finalized levels through the
controller (UpdateFeatures), as kafka-features.sh does; of the features
Gregor serves only transaction.version can change (0–2; 2, a new cluster's
level as in Kafka 4.2, is KIP-890 part 2 transactions). --release-version
and --metadata are refused: Gregor runs at one release version.`,
		Example: `  gregor features --bootstrap-server localhost:9092 describe
  gregor features --bootstrap-server localhost:9092 upgrade --feature transaction.version=2
  gregor features --bootstrap-server localhost:9092 downgrade --feature transaction.version=0 --dry-run
  gregor features --bootstrap-server localhost:9092 feature-dependencies --feature metadata.version=29`,
	}
	conn.register(cmd, false)
	refuse(cmd, refusal{"bootstrap-controller", true, "use --bootstrap-server: brokers answer for the cluster's features"})
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())

	var nodeID int32
	describe := &cobra.Command{
		Use: "describe", Short: "Describe the current active feature flags", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(sub *cobra.Command, _ []string) error {
			if conn.bootstrapServer == "" {
				return errors.New("one of --bootstrap-server or --bootstrap-controller is required")
			}
			return describeFeatures(sub, conn, nodeID, sub.Flags().Changed("node-id"))
		},
	}
	describe.Flags().Int32Var(&nodeID, "node-id", 0, "the node to ask (default: any)")
	cmd.AddCommand(describe,
		newFeatureChangeCommand(conn, featureChange{verb: "upgrade", past: "upgraded"}, "Upgrade one or more feature flags"),
		newFeatureChangeCommand(conn, featureChange{verb: "downgrade", past: "downgraded", downType: 2}, "Downgrade one or more feature flags"),
		newFeatureChangeCommand(conn, featureChange{verb: "disable", past: "disabled", downType: 2}, "Disable one or more feature flags"),
		NewVersionMappingCommand(), NewFeatureDependenciesCommand())
	return cmd
}

// describeFeatures prints kafka-features.sh describe's lines from one
// node's ApiVersions: every supported feature, sorted by name, with the
// level finalized for the cluster (0 when none is) and the epoch of the
// finalized levels ("-" when the node has none).
func describeFeatures(cmd *cobra.Command, conn *connFlags, nodeID int32, toNode bool) error {
	return conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
		var node *int32
		if toNode {
			node = &nodeID
		}
		av, err := apiVersions(ctx, cl, node)
		if err != nil {
			return err
		}
		printFeatures(cmd.OutOrStdout(), av)
		return nil
	})
}

// printFeatures prints the lines of kafka-features.sh describe.
func printFeatures(w io.Writer, av *kmsg.ApiVersionsResponse) {
	finalized := map[string]int16{}
	for _, f := range av.FinalizedFeatures {
		finalized[f.Name] = f.MaxVersionLevel
	}
	epoch := "-"
	if av.FinalizedFeaturesEpoch >= 0 {
		epoch = strconv.FormatInt(av.FinalizedFeaturesEpoch, 10)
	}
	level := func(name string, l int16) string {
		if name == "metadata.version" {
			return metadataVersionName(l)
		}
		return strconv.Itoa(int(l))
	}
	supported := slices.Clone(av.SupportedFeatures)
	slices.SortFunc(supported, func(a, b kmsg.ApiVersionsResponseSupportedFeature) int { return strings.Compare(a.Name, b.Name) })
	for _, f := range supported {
		fmt.Fprintf(w, "Feature: %s\tSupportedMinVersion: %s\tSupportedMaxVersion: %s\tFinalizedVersionLevel: %s\tEpoch: %s\n",
			f.Name, level(f.Name, f.MinVersion), level(f.Name, f.MaxVersion), level(f.Name, finalized[f.Name]), epoch)
	}
}
