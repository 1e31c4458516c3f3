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

// featureChange is what upgrade, downgrade and disable do, in
// kafka-features.sh's words.
type featureChange struct {
	verb     string // "upgrade", "downgrade", "disable"
	past     string // "upgraded", "downgraded", "disabled"
	downType int8   // the UpdateFeatures upgrade type of a downgrade: 2 safe, 3 unsafe
}

// newFeatureChangeCommand is features upgrade, downgrade or disable: one
// UpdateFeatures request for every --feature, applied by the controller
// whole or not at all. Gregor can change transaction.version (0–2); the
// other features run at one level.
func newFeatureChangeCommand(conn *connFlags, c featureChange, short string) *cobra.Command {
	var features []string
	var dryRun, unsafe bool
	cmd := &cobra.Command{
		Use: c.verb, Short: short, Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(sub *cobra.Command, _ []string) error {
			if conn.bootstrapServer == "" {
				return errors.New("one of --bootstrap-server or --bootstrap-controller is required")
			}
			if unsafe {
				c.downType = 3
			}
			return changeFeatures(sub, conn, c, features, dryRun)
		},
	}
	cmd.Flags().StringArrayVar(&features, "feature", nil, featureFlagUsage(c.verb))
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate this "+c.verb+", but do not perform it")
	fixed := "Gregor runs at one release version; change transaction.version with --feature"
	if c.verb == "upgrade" || c.verb == "downgrade" {
		refuse(cmd, refusal{"metadata", true, fixed}, refusal{"release-version", true, fixed})
	}
	if c.verb != "upgrade" {
		cmd.Flags().BoolVar(&unsafe, "unsafe", false, "perform this "+c.verb+" even if it may irreversibly destroy metadata")
	}
	return cmd
}

func featureFlagUsage(verb string) string {
	if verb == "disable" {
		return "a feature to disable (repeatable)"
	}
	return "a feature to " + verb + ", NAME=LEVEL (repeatable)"
}

// changeFeatures parses the --feature arguments, sends them and prints
// one line per feature, as kafka-features.sh does.
func changeFeatures(cmd *cobra.Command, conn *connFlags, c featureChange, args []string, dryRun bool) error {
	if len(args) == 0 {
		return fmt.Errorf("you must specify at least one feature to %s", c.verb)
	}
	var updates []kmsg.UpdateFeaturesRequestFeatureUpdate
	for _, a := range args {
		u, err := featureUpdate(c, a)
		if err != nil {
			return err
		}
		updates = append(updates, u)
	}
	return conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
		req := kmsg.NewPtrUpdateFeaturesRequest()
		req.TimeoutMillis, req.ValidateOnly, req.FeatureUpdates = 30000, dryRun, updates
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		return printFeatureChanges(cmd.OutOrStdout(), c, updates, dryRun, resp)
	})
}

// featureUpdate parses one --feature argument: NAME=LEVEL, or NAME for
// disable (level 0).
func featureUpdate(c featureChange, arg string) (kmsg.UpdateFeaturesRequestFeatureUpdate, error) {
	u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
	u.Feature, u.UpgradeType = arg, 1
	if c.verb != "disable" {
		name, value, ok := strings.Cut(arg, "=")
		level, err := strconv.ParseInt(value, 10, 16)
		if !ok || name == "" || err != nil {
			return u, fmt.Errorf("can't parse feature=level string %s", arg) // Kafka's wording
		}
		u.Feature, u.MaxVersionLevel = name, int16(level)
	}
	if c.verb != "upgrade" {
		u.UpgradeType = c.downType
	} else if u.MaxVersionLevel < 1 {
		return u, fmt.Errorf("The upgradeType flag should be set to SAFE_DOWNGRADE or UNSAFE_DOWNGRADE when the provided maxVersionLevel:%d is < 1.", u.MaxVersionLevel) // Kafka's wording
	}
	return u, nil
}

// printFeatureChanges prints "NAME was upgraded to LEVEL." (or "can be",
// for a dry run) per feature, or "Could not upgrade NAME to LEVEL. REASON"
// and then fails with the count, as kafka-features.sh.
func printFeatureChanges(out io.Writer, c featureChange, updates []kmsg.UpdateFeaturesRequestFeatureUpdate, dryRun bool, resp *kmsg.UpdateFeaturesResponse) error {
	failed := 0
	for _, u := range updates {
		code, msg := resp.ErrorCode, resp.ErrorMessage
		for _, r := range resp.Results {
			if r.Feature == u.Feature && code == 0 {
				code, msg = r.ErrorCode, r.ErrorMessage
			}
		}
		target := fmt.Sprintf(" to %d", u.MaxVersionLevel)
		if c.verb == "disable" {
			target = ""
		}
		if code != 0 {
			failed++
			reason := kerr.ErrorForCode(code).Error()
			if msg != nil && *msg != "" {
				reason = *msg
			}
			fmt.Fprintf(out, "Could not %s %s%s. %s\n", c.verb, u.Feature, target, reason)
			continue
		}
		if dryRun {
			fmt.Fprintf(out, "%s can be %s%s.\n", u.Feature, c.past, target)
		} else {
			fmt.Fprintf(out, "%s was %s%s.\n", u.Feature, c.past, target)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d out of %d operation(s) failed.", failed, len(updates))
	}
	return nil
}
