// Command gregor is the single Gregor binary: the server, storage formatting
// and Kafka's command-line tools under their Kafka names.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"gregor/internal/buildinfo"
	"gregor/internal/cli"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		if !cli.Reported(err) {
			fmt.Fprintf(os.Stderr, "gregor: %v\n", err)
		}
		os.Exit(1)
	}
}

// newRootCommand builds the whole command tree.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "gregor",
		Short:         "Gregor: a Kafka-compatible event streaming platform in one binary",
		Version:       buildinfo.Read().String(), // --version, and each tool's --version
		SilenceUsage:  true,
		SilenceErrors: true, // main prints "gregor: <error>" once
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newServerCommand(), newStorageCommand(), newDumpLogCommand(), newVersionCommand())
	cli.AddCommands(root) // the Kafka-named client tools
	return root
}

// newVersionCommand is "gregor version", the same line as "gregor --version".
func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Gregor's version, VCS revision and the Kafka protocol version it targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), cmd.Root().Version)
			return err
		},
	}
}
