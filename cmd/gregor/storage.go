package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"gregor/internal/cli"
	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/storage"
)

func newStorageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Format and inspect log directories, generate cluster ids, as kafka-storage.sh",
	}
	cmd.AddCommand(newRandomUUIDCommand(), newFormatCommand(), newInfoCommand(),
		cli.NewVersionMappingCommand(), cli.NewFeatureDependenciesCommand())
	return cmd
}

func newRandomUUIDCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "random-uuid",
		Short: "Print a random UUID in Kafka's form, for use as a cluster id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), kafka.NewTopicID().String())
			return err
		},
	}
}

func newFormatCommand() *cobra.Command {
	var (
		clusterID       string
		configFile      string
		ignoreFormatted bool
		quorum          quorumFormat
	)
	cmd := &cobra.Command{
		Use:   "format -t CLUSTER_ID -c server.properties [--ignore-formatted] [--standalone | --initial-controllers VOTERS | --no-initial-controllers]",
		Short: "Write meta.properties into every log directory",
		Long: `Format the log directories named by log.dirs (or log.dir) and metadata.log.dir
in the configuration file: each gets a meta.properties holding the cluster id,
this node's node.id and a fresh directory id.

A directory that is already formatted is an error unless --ignore-formatted is
given, in which case it is left as it is and the others are formatted.

A configuration that names the controller quorum by
controller.quorum.bootstrap.servers instead of controller.quorum.voters (as
Kafka 4's sample files do) takes its voters from the format: --standalone on
a lone controller, --initial-controllers id@host:port:directory-id,... on every
controller of a larger quorum; a broker-only node asks the bootstrap servers.`,
		Example: `  gregor storage format -t "$(gregor storage random-uuid)" -c config/server.properties
  gregor storage format --standalone -t "$(gregor storage random-uuid)" -c server.properties   # Kafka 4's sample`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.CheckRefused(cmd); err != nil {
				return err
			}
			if _, err := kafka.ParseTopicID(clusterID); err != nil {
				return fmt.Errorf("cluster id %q is not valid: want 16 bytes in URL-safe base64 without padding, as printed by gregor storage random-uuid", clusterID)
			}
			cfg, warnings, err := config.Load(configFile, nil)
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			if err != nil {
				return err
			}
			voters, err := quorum.voters(cfg)
			if err != nil {
				return err
			}
			return formatDirs(cmd.OutOrStdout(), cfg, clusterID, ignoreFormatted, voters)
		},
	}
	cmd.Flags().StringVarP(&clusterID, "cluster-id", "t", "", "the cluster id (see storage random-uuid)")
	cmd.Flags().StringVarP(&configFile, "config", "c", "", "the server.properties file")
	cmd.Flags().BoolVarP(&ignoreFormatted, "ignore-formatted", "g", false, "skip directories that are already formatted instead of failing")
	cli.Refuse(cmd, true, "SCRAM credentials are not supported yet", "add-scram")
	cli.Refuse(cmd, true, "Gregor has one metadata version and no feature levels to choose", "release-version", "feature")
	cmd.Flags().BoolVarP(&quorum.standalone, "standalone", "s", false,
		"a controller named by controller.quorum.bootstrap.servers: this node is the quorum's only voter")
	cmd.Flags().StringVarP(&quorum.initial, "initial-controllers", "I", "",
		"the quorum's voters, id@host:port:directory-id,..., when controller.quorum.bootstrap.servers names the quorum")
	cmd.Flags().BoolVarP(&quorum.none, "no-initial-controllers", "N", false,
		"a broker named by controller.quorum.bootstrap.servers: it asks them for the voters at start")
	cmd.MarkFlagsMutuallyExclusive("standalone", "initial-controllers", "no-initial-controllers")
	cmd.MarkFlagRequired("cluster-id")
	cmd.MarkFlagRequired("config")
	return cmd
}

// formatDirs writes meta.properties into each unformatted directory of cfg,
// after checking all of them, so that a refusal changes nothing.
func formatDirs(out io.Writer, cfg *config.Config, clusterID string, ignoreFormatted bool, quorum formattedQuorum) error {
	dirs := cfg.LogDirs
	if !slices.Contains(dirs, cfg.MetadataLogDir) {
		dirs = append(slices.Clone(dirs), cfg.MetadataLogDir)
	}
	var unformatted []string
	for _, dir := range dirs {
		_, err := storage.ReadMetaProperties(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			unformatted = append(unformatted, dir)
		case err != nil:
			return fmt.Errorf("log directory %s: %w", dir, err)
		case !ignoreFormatted:
			return fmt.Errorf("log directory %s is already formatted; use --ignore-formatted to ignore this directory and format the others", dir)
		}
	}
	if len(unformatted) == 0 {
		fmt.Fprintln(out, "All of the log directories are already formatted.")
		return nil
	}
	for _, dir := range unformatted {
		meta := storage.MetaProperties{ClusterID: clusterID, NodeID: cfg.NodeID, DirectoryID: kafka.NewTopicID().String()}
		kind := "data"
		if dir == cfg.MetadataLogDir {
			kind = "metadata"
			if quorum.voters != "" {
				if err := storage.WriteQuorumVoters(dir, quorum.voters); err != nil {
					return fmt.Errorf("format %s: %w", dir, err)
				}
				kind = "dynamic metadata"
				if quorum.voter {
					kind = "dynamic metadata voter"
				}
			}
			if quorum.directoryID != "" {
				meta.DirectoryID = quorum.directoryID
			}
		}
		if err := storage.WriteMetaProperties(dir, meta); err != nil {
			return fmt.Errorf("format %s: %w", dir, err)
		}
		fmt.Fprintf(out, "Formatting %s directory %s with metadata.version %s.\n", kind, dir, cli.MetadataVersion)
	}
	return nil
}

// quorumFormat is format's choice of the controller quorum for a node
// whose configuration names it by controller.quorum.bootstrap.servers
// (KIP-853): --standalone, --initial-controllers or
// --no-initial-controllers.
type quorumFormat struct {
	standalone bool
	initial    string
	none       bool
}

// formattedQuorum is what format writes of the quorum: the voters (none
// for a node that asks the bootstrap servers), whether this node is one,
// and the metadata log dir's directory id that --initial-controllers gave.
type formattedQuorum struct {
	voters      string
	voter       bool
	directoryID string
}

// voters checks the choice against cfg as Kafka's StorageTool does, with
// its messages, and returns what to write. Gregor's quorum is static: a
// controller must be one of the voters it is formatted with, and adding
// one to a running quorum (--no-initial-controllers, add-controller) is
// refused.
func (q quorumFormat) voters(cfg *config.Config) (formattedQuorum, error) {
	controller := cfg.HasRole("controller")
	switch {
	case (q.standalone || q.initial != "") && len(cfg.Voters) > 0:
		return formattedQuorum{}, errors.New("You cannot specify controller.quorum.voters and format the node with --initial-controllers or --standalone. If you want to use dynamic quorum, please remove controller.quorum.voters and specify controller.quorum.bootstrap.servers instead.")
	case q.standalone && !controller:
		return formattedQuorum{}, errors.New("You can only use --standalone on a controller.")
	case q.none && controller:
		return formattedQuorum{}, errors.New("--no-initial-controllers: a controller that joins a running quorum (kafka-metadata-quorum add-controller) is not supported yet; format every controller with the same --initial-controllers, or this one with --standalone")
	case controller && len(cfg.Voters) == 0 && len(cfg.QuorumBootstrapServers) > 0 && !q.standalone && q.initial == "":
		return formattedQuorum{}, errors.New("Because controller.quorum.voters is not set on this controller, you must specify one of the following: --standalone, --initial-controllers, or --no-initial-controllers.")
	case q.standalone:
		self, ok := cfg.ControllerEndpoint()
		if !ok {
			return formattedQuorum{}, fmt.Errorf("--standalone: listeners has no listener named %v (controller.listener.names) to reach this controller on", cfg.ControllerListenerNames)
		}
		return formattedQuorum{voters: config.VotersString([]config.Voter{self}), voter: true}, nil
	case q.initial != "":
		return initialControllers(cfg, q.initial)
	}
	return formattedQuorum{}, nil
}

// initialControllers parses --initial-controllers: id@host:port:dir,...
func initialControllers(cfg *config.Config, value string) (formattedQuorum, error) {
	var voters []config.Voter
	var out formattedQuorum
	for _, item := range strings.Split(value, ",") {
		i := strings.LastIndex(item, ":")
		if i < 0 || !strings.Contains(item[:i], ":") {
			return formattedQuorum{}, fmt.Errorf("--initial-controllers %q: No colon following port could be found.", item)
		}
		dir, err := kafka.ParseTopicID(item[i+1:])
		if err != nil {
			return formattedQuorum{}, fmt.Errorf("--initial-controllers %q: Failed to parse directory ID in dynamic voter string.", item)
		}
		vs, err := config.ParseVoters(item[:i])
		if err != nil {
			return formattedQuorum{}, fmt.Errorf("--initial-controllers %q: %w", item, err)
		}
		if slices.ContainsFunc(voters, func(v config.Voter) bool { return v.ID == vs[0].ID }) {
			return formattedQuorum{}, fmt.Errorf("--initial-controllers: voter id %d is listed twice", vs[0].ID)
		}
		voters = append(voters, vs[0])
		if vs[0].ID == cfg.NodeID {
			out.voter, out.directoryID = true, dir.String()
		}
	}
	if cfg.HasRole("controller") && !out.voter {
		return formattedQuorum{}, fmt.Errorf("--initial-controllers: node.id %d is not one of the controllers; a controller that joins a running quorum (kafka-metadata-quorum add-controller) is not supported yet", cfg.NodeID)
	}
	out.voters = config.VotersString(voters)
	return out, nil
}
