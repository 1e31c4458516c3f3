// Command gregor is the single Gregor binary: the server, storage formatting
// and Kafka's command-line tools under their Kafka names.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

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
		SilenceUsage:  true,
		SilenceErrors: true, // main prints "gregor: <error>" once
	}
	root.AddCommand(newServerCommand(), newStorageCommand())
	cli.AddCommands(root) // the Kafka-named client tools
	return root
}
