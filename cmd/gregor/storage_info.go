package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"gregor/internal/cli"
	"gregor/internal/config"
	"gregor/internal/storage"
)

func newInfoCommand() *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:   "info -c server.properties",
		Short: "Print the meta.properties of this node's log directories",
		Long: `Print what kafka-storage.sh info prints for the log directories named by
log.dirs (or log.dir) and metadata.log.dir: the directories found, the
metadata of the first formatted one (cluster.id, directory.id, node.id,
version), and any problem (a directory missing or not formatted, cluster or
node ids that differ between directories). It exits 1 when there is a
problem.`,
		Example: `  gregor storage info -c config/server.properties`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, warnings, err := config.Load(configFile, nil)
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			if err != nil {
				return err
			}
			return storageInfo(cmd.OutOrStdout(), logDirectories(cfg))
		},
	}
	cmd.Flags().StringVarP(&configFile, "config", "c", "", "the server.properties file")
	cmd.MarkFlagRequired("config")
	return cmd
}

// logDirectories is the sorted set of cfg's data and metadata log dirs.
func logDirectories(cfg *config.Config) []string {
	dirs := slices.Clone(cfg.LogDirs)
	if cfg.MetadataLogDir != "" {
		dirs = append(dirs, cfg.MetadataLogDir)
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// storageInfo prints the directories, the first metadata found and the
// problems, as Kafka's StorageTool info does; a problem is an error that
// has been printed.
func storageInfo(out io.Writer, dirs []string) error {
	if len(dirs) == 0 {
		fmt.Fprintln(out, "No directories specified.")
		return nil
	}
	var found, problems []string
	var first *storage.MetaProperties
	for _, dir := range dirs {
		problem, ok := checkLogDir(dir)
		if ok {
			found = append(found, dir)
		}
		if problem == "" && ok {
			problem = compareMeta(dir, &first)
		}
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	printList(out, "Found log directory:", "Found log directories:", found)
	if first != nil {
		fmt.Fprintf(out, "Found metadata: %s\n\n", metaString(*first))
	}
	printList(out, "Found problem:", "Found problems:", problems)
	if len(problems) > 0 {
		return cli.Printed(errors.New(problems[0]))
	}
	return nil
}

// checkLogDir reports whether dir is a directory, and the problem with it
// if it is not.
func checkLogDir(dir string) (problem string, isDir bool) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return dir + " does not exist", false
	case err != nil:
		return fmt.Sprintf("%s cannot be read: %v", dir, err), false
	case !st.IsDir():
		return dir + " is not a directory", false
	}
	return "", true
}

// compareMeta reads dir's meta.properties and compares it with the first
// one read (*first, set when nil), returning the problem found, if any.
func compareMeta(dir string, first **storage.MetaProperties) string {
	m, err := storage.ReadMetaProperties(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return dir + " is not formatted."
	case err != nil:
		return fmt.Sprintf("Error loading %s: %v", filepath.Join(dir, storage.MetaPropertiesFile), err)
	case *first == nil:
		*first = &m
	case (*first).ClusterID != m.ClusterID:
		return "Mismatched cluster IDs between storage directories."
	case (*first).NodeID != m.NodeID:
		return "Mismatched node IDs between storage directories."
	}
	return ""
}

// metaString renders m as Kafka prints the sorted properties:
// {cluster.id=..., directory.id=..., node.id=1, version=1}.
func metaString(m storage.MetaProperties) string {
	kvs := []string{"cluster.id=" + m.ClusterID}
	if m.DirectoryID != "" {
		kvs = append(kvs, "directory.id="+m.DirectoryID)
	}
	kvs = append(kvs, fmt.Sprintf("node.id=%d", m.NodeID), "version=1")
	return "{" + strings.Join(kvs, ", ") + "}"
}

// printList prints a heading (one for a single item, another for several),
// the items indented, then a blank line; nothing when there are none.
func printList(out io.Writer, one, many string, items []string) {
	if len(items) == 0 {
		return
	}
	heading := many
	if len(items) == 1 {
		heading = one
	}
	fmt.Fprintln(out, heading)
	for _, it := range items {
		fmt.Fprintf(out, "  %s\n", it)
	}
	fmt.Fprintln(out)
}
