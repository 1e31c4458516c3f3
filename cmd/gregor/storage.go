package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

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
	)
	cmd := &cobra.Command{
		Use:   "format -t CLUSTER_ID -c server.properties [--ignore-formatted]",
		Short: "Write meta.properties into every log directory",
		Long: `Format the log directories named by log.dirs (or log.dir) and metadata.log.dir
in the configuration file: each gets a meta.properties holding the cluster id,
this node's node.id and a fresh directory id.

A directory that is already formatted is an error unless --ignore-formatted is
given, in which case it is left as it is and the others are formatted.`,
		Example: `  gregor storage format -t "$(gregor storage random-uuid)" -c config/server.properties`,
		Args:    cobra.NoArgs,
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
			return formatDirs(cmd.OutOrStdout(), cfg, clusterID, ignoreFormatted)
		},
	}
	cmd.Flags().StringVarP(&clusterID, "cluster-id", "t", "", "the cluster id (see storage random-uuid)")
	cmd.Flags().StringVarP(&configFile, "config", "c", "", "the server.properties file")
	cmd.Flags().BoolVarP(&ignoreFormatted, "ignore-formatted", "g", false, "skip directories that are already formatted instead of failing")
	cli.Refuse(cmd, true, "SCRAM credentials are not supported yet", "add-scram")
	cli.Refuse(cmd, true, "Gregor has one metadata version and no feature levels to choose", "release-version", "feature")
	cli.Refuse(cmd, false, "a dynamic controller quorum (KIP-853) is not supported yet", "standalone", "no-initial-controllers")
	cli.Refuse(cmd, true, "a dynamic controller quorum (KIP-853) is not supported yet", "initial-controllers")
	cmd.MarkFlagRequired("cluster-id")
	cmd.MarkFlagRequired("config")
	return cmd
}

// formatDirs writes meta.properties into each unformatted directory of cfg,
// after checking all of them, so that a refusal changes nothing.
func formatDirs(out io.Writer, cfg *config.Config, clusterID string, ignoreFormatted bool) error {
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
		if err := storage.WriteMetaProperties(dir, meta); err != nil {
			return fmt.Errorf("format %s: %w", dir, err)
		}
		kind := "data"
		if dir == cfg.MetadataLogDir {
			kind = "metadata"
		}
		fmt.Fprintf(out, "Formatting %s directory %s with metadata.version %s.\n", kind, dir, cli.MetadataVersion)
	}
	return nil
}
