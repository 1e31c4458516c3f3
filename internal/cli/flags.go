package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// refusedAnnotation marks a flag of Kafka's tool that this tool takes only
// to refuse it: using it is an error saying it is not supported, never a
// silently ignored option.
const refusedAnnotation = "gregor/refused"

// deprecatedAnnotation marks a flag Kafka's tool still takes but warns
// about: its line is printed on standard output when the flag is used.
const deprecatedAnnotation = "gregor/deprecated"

// deprecate makes using flag print Kafka's deprecation line for it, on
// standard output as Kafka's tools print it, before the tool runs.
func deprecate(cmd *cobra.Command, flag, line string) {
	if err := cmd.Flags().SetAnnotation(flag, deprecatedAnnotation, []string{line}); err != nil {
		panic(err) // a flag this package names itself
	}
}

// warnDeprecated prints the deprecation line of every deprecated flag used.
func warnDeprecated(cmd *cobra.Command) {
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if line, ok := f.Annotations[deprecatedAnnotation]; ok {
			fmt.Fprintln(cmd.OutOrStdout(), line[0])
		}
	})
}

// refusal is one Kafka flag a tool refuses, and why.
type refusal struct {
	name       string
	takesValue bool // Kafka's flag takes an argument, as --replica-assignment does
	why        string
}

// refuse registers each refusal on cmd; checkRefused rejects them when used.
func refuse(cmd *cobra.Command, refusals ...refusal) {
	fl := cmd.Flags()
	for _, r := range refusals {
		usage := "not supported: " + r.why
		if r.takesValue {
			fl.StringArray(r.name, nil, usage)
		} else {
			fl.Bool(r.name, false, usage)
		}
		_ = fl.SetAnnotation(r.name, refusedAnnotation, []string{r.why})
	}
}

// checkRefused fails on the first refused flag given on the command line.
func checkRefused(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if why, ok := f.Annotations[refusedAnnotation]; ok && err == nil {
			err = fmt.Errorf("--%s is not supported by %s: %s", f.Name, cmd.CommandPath(), why[0])
		}
	})
	return err
}

// IsRefused reports whether flag is one that cmd takes only to refuse it.
func IsRefused(cmd *cobra.Command, flag string) bool {
	f := cmd.Flags().Lookup(flag)
	return f != nil && f.Annotations[refusedAnnotation] != nil
}

// guard wraps every tool's RunE, and its subcommands', with checkRefused,
// gives each tool Kafka's --version (the root's version line), and words
// flag errors for people. A tool that is only a parent of subcommands
// (metadata-quorum, transactions) answers a bare invocation by naming them.
func guard(root *cobra.Command, tools []*cobra.Command) {
	root.SetFlagErrorFunc(flagError)
	for _, c := range tools {
		guardTree(c)
		c.Version = root.Version
		if c.Version == "" {
			c.Version = "gregor (version unknown)"
		}
	}
}

func guardTree(c *cobra.Command) {
	for _, sub := range c.Commands() {
		guardTree(sub)
	}
	run := c.RunE
	if run == nil {
		var names []string
		for _, sub := range c.Commands() {
			names = append(names, sub.Name())
		}
		run = func(*cobra.Command, []string) error {
			return fmt.Errorf("a command is required: %s", strings.Join(names, ", "))
		}
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkRefused(cmd); err != nil {
			return err
		}
		warnDeprecated(cmd)
		return run(cmd, args)
	}
}

// flagError rewrites pflag's parse errors ("invalid argument "abc" for
// "--partitions" flag: strconv.ParseInt: ...") to say which flag and what
// was expected: --partitions: expected an integer from -2147483648 to 2147483647, got "abc".
func flagError(_ *cobra.Command, err error) error {
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		f := invalid.GetFlag()
		return fmt.Errorf("--%s: expected %s, got %q", f.Name, expected(f.Value.Type()), invalid.GetValue())
	}
	return err
}

// expected names what a flag of pflag type typ accepts, with the range of
// a sized integer type (an out-of-range number is an integer too).
func expected(typ string) string {
	switch typ {
	case "int32":
		return "an integer from -2147483648 to 2147483647"
	case "int16":
		return "an integer from -32768 to 32767"
	}
	switch {
	case strings.HasPrefix(typ, "uint"):
		return "a non-negative integer"
	case strings.HasPrefix(typ, "int"):
		return "an integer"
	case strings.HasPrefix(typ, "float"):
		return "a number"
	case typ == "bool":
		return "true or false"
	case typ == "duration":
		return "a duration such as 30s"
	}
	return "a " + typ
}

// conflict is Kafka's CommandLineUtils.checkInvalidArgs: when used is given,
// none of invalid may be, worded as Kafka words it.
func conflict(cmd *cobra.Command, used string, invalid ...string) error {
	fl := cmd.Flags()
	if !fl.Changed(used) {
		return nil
	}
	for _, other := range invalid {
		if other != used && fl.Changed(other) {
			return fmt.Errorf("Option \"[%s]\" can't be used with option \"[%s]\"", used, other)
		}
	}
	return nil
}

// Refuse registers Kafka flags that a command outside this package (the
// storage tool) takes only to refuse; its RunE calls CheckRefused first.
func Refuse(cmd *cobra.Command, takesValue bool, why string, names ...string) {
	for _, n := range names {
		refuse(cmd, refusal{n, takesValue, why})
	}
}

// CheckRefused fails on the first refused flag given on cmd's command line.
func CheckRefused(cmd *cobra.Command) error { return checkRefused(cmd) }

// alias registers name as another spelling of the flag target, sharing its
// value, so that either spelling, or both, fill the same option in
// command-line order. Kafka 4.1 (KIP-1147) renamed the tools' property and
// config flags (--producer-property to --command-property, --admin.config
// to --command-config, ...) and keeps the old names as deprecated.
func alias(fl *pflag.FlagSet, name, target string) {
	t := fl.Lookup(target)
	if t == nil {
		panic(fmt.Sprintf("alias --%s of --%s: no such flag", name, target))
	}
	fl.AddFlag(&pflag.Flag{Name: name, Value: t.Value, DefValue: t.DefValue, NoOptDefVal: t.NoOptDefVal,
		Usage: fmt.Sprintf("the same as --%s (Kafka 4.1's name)", target)})
}
