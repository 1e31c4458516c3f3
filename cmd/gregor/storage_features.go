package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The feature levels Gregor serves, as its ApiVersions advertises them
// (internal/handler/18_api_versions.go): metadata.version runs at 29
// (4.2-IV1), kraft.version at 0 (a static quorum) and group.version at 1
// (KIP-848 groups); none of these levels depends on another feature.
const (
	metadataVersion      = "4.2-IV1"
	metadataVersionLevel = 29
)

// featureLevel is one feature and the level Gregor finalizes it at.
type featureLevel struct {
	name  string
	level int16
}

// releaseFeatures are the features of metadataVersion besides
// metadata.version, in Kafka's order.
var releaseFeatures = []featureLevel{{"kraft.version", 0}, {"group.version", 1}}

// metadataVersions names the metadata.version levels Gregor serves, from
// 7 (3.3-IV3, the first KRaft production level and ApiVersions' minimum)
// to metadataVersionLevel, as Kafka's MetadataVersion names them.
var metadataVersions = []string{
	"3.3-IV3", "3.4-IV0", "3.5-IV0", "3.5-IV1", "3.5-IV2", "3.6-IV0", "3.6-IV1", "3.6-IV2",
	"3.7-IV0", "3.7-IV1", "3.7-IV2", "3.7-IV3", "3.7-IV4", "3.8-IV0", "3.9-IV0", "4.0-IV0",
	"4.0-IV1", "4.0-IV2", "4.0-IV3", "4.1-IV0", "4.1-IV1", "4.2-IV0", metadataVersion,
}

// minMetadataVersionLevel is the level of metadataVersions[0].
const minMetadataVersionLevel = metadataVersionLevel - 22

// servedLevels are the levels of each feature Gregor serves.
var servedLevels = map[string][]int16{
	"metadata.version": metadataVersionLevels(),
	"kraft.version":    {0},
	"group.version":    {0, 1},
}

func metadataVersionLevels() []int16 {
	var levels []int16
	for i := range metadataVersions {
		levels = append(levels, int16(minMetadataVersionLevel+i))
	}
	return levels
}

// unservedFeatures are Kafka 4.2's other production features.
var unservedFeatures = []string{"transaction.version", "eligible.leader.replicas.version", "share.version", "streams.version"}

func newVersionMappingCommand() *cobra.Command {
	var release string
	cmd := &cobra.Command{
		Use:   "version-mapping [--release-version 4.2-IV1]",
		Short: "Print the feature levels of Gregor's metadata version",
		Long: `Print the feature levels that go with a release version, as
kafka-storage.sh version-mapping does, for the features Gregor serves:
metadata.version 29 (4.2-IV1), kraft.version 0 and group.version 1. Gregor
runs at one release version, so 4.2-IV1 (or 4.2) is the only one it maps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return versionMapping(cmd.OutOrStdout(), release)
		},
	}
	cmd.Flags().StringVarP(&release, "release-version", "r", metadataVersion, "the release version to map")
	return cmd
}

// versionMapping prints release's feature levels as Kafka does:
// "metadata.version=29 (4.2-IV1)", then "name=level" per feature.
func versionMapping(out io.Writer, release string) error {
	if release != metadataVersion && release != strings.SplitN(metadataVersion, "-", 2)[0] {
		return fmt.Errorf("unknown release version '%s': Gregor runs at %s only", release, metadataVersion)
	}
	fmt.Fprintf(out, "metadata.version=%d (%s)\n", metadataVersionLevel, release)
	for _, f := range releaseFeatures {
		fmt.Fprintf(out, "%s=%d\n", f.name, f.level)
	}
	return nil
}

func newFeatureDependenciesCommand() *cobra.Command {
	var features []string
	cmd := &cobra.Command{
		Use:   "feature-dependencies --feature NAME=LEVEL...",
		Short: "Print what a feature level depends on",
		Long: `Print the dependencies of each feature level given, as kafka-storage.sh
feature-dependencies does, for the levels Gregor serves: metadata.version 7
(3.3-IV3) to 29 (4.2-IV1), kraft.version 0, group.version 0 and 1 (none has
dependencies). Kafka's other
features (transaction.version, share.version, ...) are refused by name.`,
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
