package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// consumerGroupsFlags are kafka-consumer-groups.sh's flags.
type consumerGroupsFlags struct {
	conn connFlags

	list, describe, delete, resetOffsets, deleteOffsets bool

	groups    []string
	allGroups bool
	topics    []string
	allTopics bool

	offsets, members, verbose bool
	state                     string // allStates when --state is given bare
	groupType                 string // allTypes when --type is given bare
	timeoutMs                 int64

	dryRun, execute                 bool
	toEarliest, toLatest, toCurrent bool
	toOffset, shiftBy               int64
	toDatetime, byDuration          string
	fromFile                        string // a CSV reset plan
	export                          bool   // print the reset plan as CSV

	validateRegex string // a regular expression to check, needing no broker
}

// allStates is --state given without a value: every state, as a column.
const allStates = "all"

func newConsumerGroupsCommand() *cobra.Command {
	f := &consumerGroupsFlags{}
	cmd := &cobra.Command{
		Use:   "consumer-groups",
		Short: "List, describe, delete consumer groups and reset their offsets (kafka-consumer-groups.sh)",
		Long: `List, describe and delete consumer groups, and reset or delete their committed
offsets, as kafka-consumer-groups.sh does.

Exactly one of --list, --describe, --delete, --reset-offsets or
--delete-offsets is required.

--describe shows one of three views of each group (--group, repeatable, or
--all-groups):
  --offsets (default)  GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG
                       CONSUMER-ID HOST CLIENT-ID; LAG is LOG-END-OFFSET minus
                       the committed CURRENT-OFFSET, "-" where either is unknown
  --members            GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS, and with
                       --verbose the ASSIGNMENT of each member
  --state              GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
--verbose adds the committed LEADER-EPOCH to --offsets, and GROUP-EPOCH and
TARGET-ASSIGNMENT-EPOCH ("-" for classic groups) to --state. For a group of
the consumer protocol (KIP-848, type "consumer") --members --verbose prints,
as Kafka 4 does, CURRENT-EPOCH CURRENT-ASSIGNMENT TARGET-EPOCH
TARGET-ASSIGNMENT (and UPGRADED while classic members remain) instead of
ASSIGNMENT. Groups of both types are described, reset and deleted alike.

--list --type adds a TYPE column (Classic or Consumer), or with a list
(--type=consumer or --type consumer) shows only groups of those types.

--reset-offsets changes the committed offsets of a group that has no active
members. It takes a scope (--topic T, T:0,1 for some partitions, repeatable;
or --all-topics, the partitions the group has committed) and one scenario:
--to-earliest, --to-latest, --to-current, --to-offset N, --shift-by N,
--to-datetime YYYY-MM-DDTHH:mm:SS.sss (local time unless a zone such as Z or
+01:00 follows), --by-duration PnDTnHnMnS (that long before now) or
--from-file FILE (a CSV plan, which names its own partitions). New offsets
are kept between the earliest and latest offsets of each partition. It only
prints the plan unless --execute is given; --export prints it as the CSV
--from-file reads: topic,partition,offset lines when one --group is given,
group,topic,partition,offset otherwise. --execute commits 1,000 offsets a
request; a reset that runs longer than a second prints "Progress: ..." lines
to standard error.

Messages go where kafka-consumer-groups.sh writes them: "Error: ..." lines to
standard output, the notes on empty and rebalancing groups to standard error.
Unlike Kafka's tool, a missing group, a refused reset or a failed deletion
also makes the command exit non-zero.`,
		Example: `  # Every consumer group, then each group's state
  gregor consumer-groups --bootstrap-server localhost:9092 --list
  gregor consumer-groups --bootstrap-server localhost:9092 --list --state
  gregor consumer-groups --bootstrap-server localhost:9092 --list --state stable,empty
  gregor consumer-groups --bootstrap-server localhost:9092 --list --type --state
  gregor consumer-groups --bootstrap-server localhost:9092 --list --type consumer

  # Committed offsets and lag per partition; members and their partitions
  gregor consumer-groups --bootstrap-server localhost:9092 --describe --group audit
  gregor consumer-groups --bootstrap-server localhost:9092 --describe --group audit --members --verbose
  gregor consumer-groups --bootstrap-server localhost:9092 --describe --all-groups --state

  # Rewind a stopped group to the start of orders: show the plan, then apply it
  gregor consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit \
      --topic orders --to-earliest --dry-run
  gregor consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit \
      --topic orders --to-earliest --execute

  # Skip 10 records on partitions 0 and 2; replay the last hour of every committed topic
  gregor consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit \
      --topic orders:0,2 --shift-by 10 --execute
  gregor consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit \
      --all-topics --by-duration PT1H --execute

  # Save a plan as CSV, edit it, then apply it
  gregor consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit \
      --topic orders --to-latest --dry-run --export > plan.csv
  gregor consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group audit \
      --from-file plan.csv --execute

  # Forget one topic's offsets, then the whole group
  gregor consumer-groups --bootstrap-server localhost:9092 --delete-offsets --group audit --topic orders
  gregor consumer-groups --bootstrap-server localhost:9092 --delete --group audit`,
		SilenceUsage: true,
		Args: func(cmd *cobra.Command, args []string) error {
			return f.stateArgument(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsumerGroups(cmd, f)
		},
	}
	f.conn.register(cmd, false) // required unless --validate-regex
	fl := cmd.Flags()
	fl.BoolVar(&f.list, "list", false, "list all consumer groups")
	fl.StringVar(&f.validateRegex, "validate-regex", "",
		"check that a regular expression is valid RE2, as KIP-848 subscriptions take them")
	fl.BoolVar(&f.describe, "describe", false, "describe groups: offsets and lag (default), --members or --state")
	fl.BoolVar(&f.delete, "delete", false, "delete groups with no active members, and their offsets")
	fl.BoolVar(&f.resetOffsets, "reset-offsets", false, "reset the committed offsets of a group with no active members")
	fl.BoolVar(&f.deleteOffsets, "delete-offsets", false, "delete the committed offsets of one group for the --topic partitions")
	fl.StringArrayVar(&f.groups, "group", nil, "the consumer group to act on (repeatable)")
	fl.BoolVar(&f.allGroups, "all-groups", false, "act on every consumer group")
	fl.StringArrayVar(&f.topics, "topic", nil, "a topic, or topic:p,p for some partitions (repeatable; --reset-offsets, --delete-offsets)")
	fl.BoolVar(&f.allTopics, "all-topics", false, "with --reset-offsets: every partition the group has committed")
	fl.BoolVar(&f.offsets, "offsets", false, "with --describe: partitions, committed offsets and lag (the default view)")
	fl.BoolVar(&f.members, "members", false, "with --describe: the members of each group")
	fl.BoolVar(&f.verbose, "verbose", false, "with --describe: more columns (LEADER-EPOCH; a member's ASSIGNMENT; group epochs)")
	fl.StringVar(&f.state, "state", "", "with --describe: each group's state; with --list: a STATE column, or only groups in the given states (comma-separated)")
	fl.Lookup("state").NoOptDefVal = allStates
	fl.StringVar(&f.groupType, "type", "", "with --list: a TYPE column (classic or consumer), or only groups of the given types (comma-separated)")
	fl.Lookup("type").NoOptDefVal = allTypes
	fl.Int64Var(&f.timeoutMs, "timeout", 5000, "milliseconds to wait for each request to the cluster")
	fl.BoolVar(&f.dryRun, "dry-run", false, "with --reset-offsets: only print the new offsets (the default)")
	fl.BoolVar(&f.execute, "execute", false, "with --reset-offsets: commit the new offsets")
	fl.BoolVar(&f.toEarliest, "to-earliest", false, "reset to the earliest offset of each partition")
	fl.BoolVar(&f.toLatest, "to-latest", false, "reset to the latest offset of each partition")
	fl.BoolVar(&f.toCurrent, "to-current", false, "reset to the committed offset (the latest where there is none)")
	fl.Int64Var(&f.toOffset, "to-offset", 0, "reset to this offset")
	fl.Int64Var(&f.shiftBy, "shift-by", 0, "move the committed offset by this many records, forward or back (negative)")
	fl.StringVar(&f.toDatetime, "to-datetime", "", "reset to the first offset at or after this time, YYYY-MM-DDTHH:mm:SS.sss")
	fl.StringVar(&f.byDuration, "by-duration", "", "reset to the first offset at or after this long ago, PnDTnHnMnS")
	fl.StringVar(&f.fromFile, "from-file", "", "reset to the offsets of a CSV plan: topic,partition,offset lines (one --group) or group,topic,partition,offset")
	fl.BoolVar(&f.export, "export", false, "with --reset-offsets: print the plan as CSV, as --from-file reads it")
	return cmd
}

// stateArgument lets "--state stable,empty" and "--type consumer" take
// their value from the next word, as Kafka's optional arguments do: the
// flag parser only binds "--state=stable,empty", and leaves the value as
// a positional argument. When both are given bare, the word is ambiguous.
func (f *consumerGroupsFlags) stateArgument(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	bareState := cmd.Flags().Changed("state") && f.state == allStates
	bareType := cmd.Flags().Changed("type") && f.groupType == allTypes
	switch {
	case len(args) == 1 && bareState && !bareType:
		f.state = args[0]
		return nil
	case len(args) == 1 && bareType && !bareState:
		f.groupType = args[0]
		return nil
	}
	return fmt.Errorf("unexpected argument %q", args[0])
}

func runConsumerGroups(cmd *cobra.Command, f *consumerGroupsFlags) error {
	if cmd.Flags().Changed("validate-regex") {
		if err := f.checkActions(cmd.Flags().Changed); err != nil {
			return err
		}
		return validateRegex(cmd.OutOrStdout(), f.validateRegex)
	}
	act, err := f.action(cmd.Flags().Changed, time.Now())
	if err != nil {
		return err
	}
	if f.conn.bootstrapServer == "" {
		return errors.New(`required flag(s) "bootstrap-server" not set`)
	}
	ctx := cmd.Context()
	cl, err := f.conn.adminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := requireAPIs(ctx, cl, f.conn.bootstrapServer, act.apis...); err != nil {
		return err
	}
	t := &groupsTool{
		adm:     adminFor(cl),
		f:       f,
		reset:   act.reset,
		out:     newPrinter(cmd.OutOrStdout()),
		errOut:  cmd.ErrOrStderr(),
		timeout: time.Duration(f.timeoutMs) * time.Millisecond,
	}
	err = act.run(t, ctx)
	if ferr := t.out.flush(); err == nil {
		err = ferr
	}
	if err == nil && len(t.failures) > 0 {
		err = reported{errors.Join(t.failures...)}
	}
	return err
}

// groupsAction is one validated kafka-consumer-groups operation.
type groupsAction struct {
	run   func(*groupsTool, context.Context) error
	apis  []int16    // what the cluster must serve for it
	reset *resetSpec // --reset-offsets only
}

// action checks the flags as kafka-consumer-groups.sh does, before any
// connection, and returns the operation they ask for. changed reports
// whether a flag was given; now resolves --by-duration.
func (f *consumerGroupsFlags) action(changed func(string) bool, now time.Time) (groupsAction, error) {
	if err := f.checkActions(changed); err != nil {
		return groupsAction{}, err
	}
	if err := f.checkScopes(changed); err != nil {
		return groupsAction{}, err
	}
	if f.timeoutMs <= 0 {
		return groupsAction{}, fmt.Errorf("--timeout must be a positive number of milliseconds, got %d", f.timeoutMs)
	}
	find, list := int16(kmsg.FindCoordinator), int16(kmsg.ListGroups)
	switch {
	case f.list:
		_, err := parseGroupStates(f.state)
		if err == nil {
			_, err = parseGroupTypes(f.groupType)
		}
		return groupsAction{run: (*groupsTool).list, apis: []int16{list}}, err
	case f.describe:
		return groupsAction{run: (*groupsTool).describe,
			apis: []int16{find, int16(kmsg.DescribeGroups), int16(kmsg.OffsetFetch)}}, f.checkDescribe(changed)
	case f.delete:
		return groupsAction{run: (*groupsTool).deleteGroups, apis: []int16{find, int16(kmsg.DeleteGroups)}}, nil
	case f.deleteOffsets:
		return groupsAction{run: (*groupsTool).deleteOffsets, apis: []int16{find, int16(kmsg.OffsetDelete)}}, nil
	}
	spec, err := f.resetSpec(changed, now)
	return groupsAction{run: (*groupsTool).resetOffsets, reset: spec,
		apis: []int16{find, int16(kmsg.DescribeGroups), int16(kmsg.OffsetFetch), int16(kmsg.OffsetCommit)}}, err
}

// checkActions requires exactly one action, and refuses options that
// belong to another one.
func (f *consumerGroupsFlags) checkActions(changed func(string) bool) error {
	actions := []string{"list", "describe", "delete", "reset-offsets", "delete-offsets", "validate-regex"}
	n := 0
	for _, a := range actions {
		if changed(a) {
			n++
		}
	}
	if n != 1 {
		return errors.New("command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets, --validate-regex")
	}
	onlyWith := []optionScope{
		{"offsets", []string{"describe"}},
		{"members", []string{"describe"}},
		{"verbose", []string{"describe"}},
		{"state", []string{"describe", "list"}},
		{"type", []string{"list"}},
		{"group", []string{"describe", "delete", "reset-offsets", "delete-offsets"}},
		{"all-groups", []string{"describe", "delete", "reset-offsets"}},
		{"topic", []string{"reset-offsets", "delete-offsets", "delete"}},
		{"all-topics", []string{"reset-offsets"}},
		{"dry-run", []string{"reset-offsets"}},
		{"execute", []string{"reset-offsets"}},
		{"export", []string{"reset-offsets"}},
	}
	for _, scenario := range resetScenarios {
		onlyWith = append(onlyWith, optionScope{scenario, []string{"reset-offsets"}})
	}
	for _, s := range onlyWith {
		if changed(s.option) && !slices.ContainsFunc(s.actions, changed) {
			return fmt.Errorf("option [%s] can only be used with %s", s.option, optionList(s.actions, " or "))
		}
	}
	return nil
}

// optionScope is an option and the actions it may be used with.
type optionScope struct {
	option  string
	actions []string
}

// resetScenarios are the --reset-offsets scenario options, in Kafka's order.
var resetScenarios = []string{"to-datetime", "by-duration", "to-earliest", "to-latest", "shift-by", "from-file", "to-current", "to-offset"}

// optionList renders names as "[a], [b]" with sep before the last.
func optionList(names []string, lastSep string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "[" + n + "]"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + lastSep + quoted[len(quoted)-1]
}

// checkScopes checks the group and topic selections of the action.
func (f *consumerGroupsFlags) checkScopes(changed func(string) bool) error {
	if changed("group") && f.allGroups {
		return errors.New("option [group] can't be used with option [all-groups]")
	}
	for _, g := range f.groups {
		if g == "" {
			return errors.New("--group needs a non-empty group id")
		}
	}
	needGroup := f.describe || f.delete || f.resetOffsets
	switch {
	case needGroup && len(f.groups) == 0 && !f.allGroups:
		return fmt.Errorf("option [%s] takes one of these options: [group], [all-groups]", f.actionName())
	case f.delete && len(f.topics) > 0:
		return errors.New("the consumer does not support topic-specific offset deletion from a consumer group; use --delete-offsets")
	case f.deleteOffsets && (len(f.groups) != 1 || len(f.topics) == 0):
		return errors.New("option [delete-offsets] takes the following options: one [group] and at least one [topic]")
	case f.resetOffsets && f.allTopics && len(f.topics) > 0:
		return errors.New("option [all-topics] can't be used with option [topic]")
	case f.resetOffsets && !f.allTopics && len(f.topics) == 0 && f.fromFile == "":
		return errors.New("one of the reset scopes should be defined: --all-topics, --topic")
	}
	return nil
}

func (f *consumerGroupsFlags) actionName() string {
	switch {
	case f.describe:
		return "describe"
	case f.delete:
		return "delete"
	}
	return "reset-offsets"
}

// checkDescribe allows at most one view, and a bare --state.
func (f *consumerGroupsFlags) checkDescribe(changed func(string) bool) error {
	views := 0
	for _, v := range []string{"members", "offsets", "state"} {
		if changed(v) {
			views++
		}
	}
	switch {
	case views > 1:
		return errors.New("option [describe] takes at most one of these options: [members], [offsets], [state]")
	case changed("state") && f.state != allStates:
		return fmt.Errorf("option [describe] does not take a value for [state], got %q", f.state)
	}
	return nil
}

// groupsTool runs one kafka-consumer-groups action.
type groupsTool struct {
	adm     *kadm.Client
	f       *consumerGroupsFlags
	reset   *resetSpec
	out     *printer
	errOut  io.Writer
	timeout time.Duration // for each request, --timeout

	// failures are per-group errors already printed as Kafka prints
	// them; the command exits non-zero when there are any.
	failures []error
}

// request returns a context bounding one request by --timeout.
func (t *groupsTool) request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, t.timeout)
}

// requestError is err from a request, worded for the user.
func (t *groupsTool) requestError(what string, err error, ctx context.Context) error {
	return fmt.Errorf("%s: %s", what, describeRequestError(err, ctx, t.timeout))
}

// fail prints Kafka's "Error: ..." line for one group on standard output
// (after a blank line, as Kafka does) and remembers it for the exit status.
func (t *groupsTool) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.out.line("")
	t.out.line("Error: " + msg)
	t.failures = append(t.failures, errors.New(msg))
}

// note prints a line on standard error after a blank line, once what was
// printed before it is flushed, as Kafka's notes about a group's state.
func (t *groupsTool) note(format string, args ...any) {
	t.out.flush()
	fmt.Fprintf(t.errOut, "\n"+format+"\n", args...)
}

// isConsumerGroup reports whether a listed group is a consumer group:
// protocol type "consumer", or none for a group that only has offsets.
func isConsumerGroup(g kadm.ListedGroup) bool {
	return g.ProtocolType == "consumer" || g.ProtocolType == ""
}

// listGroups returns the consumer groups, sorted, in the given states.
func (t *groupsTool) listGroups(ctx context.Context, states ...string) ([]kadm.ListedGroup, error) {
	ctx, cancel := t.request(ctx)
	defer cancel()
	listed, err := t.adm.ListGroups(ctx, states...)
	if err != nil {
		return nil, t.requestError("cannot list groups", err, ctx)
	}
	var out []kadm.ListedGroup
	for _, g := range listed.Sorted() {
		if isConsumerGroup(g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// selectedGroups returns the --group values, or every consumer group for
// --all-groups, sorted and without repeats.
func (t *groupsTool) selectedGroups(ctx context.Context) ([]string, error) {
	if !t.f.allGroups {
		groups := slices.Clone(t.f.groups)
		slices.Sort(groups)
		return slices.Compact(groups), nil
	}
	listed, err := t.listGroups(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(listed))
	for i, g := range listed {
		names[i] = g.Group
	}
	return names, nil
}

// list prints the consumer groups' names, or with --type or --state a
// table of GROUP, TYPE (with --type) and STATE (with --state), only of
// the types and states given, as Kafka 4's tool does.
func (t *groupsTool) list(ctx context.Context) error {
	if t.f.state == "" && t.f.groupType == "" {
		groups, err := t.listGroups(ctx)
		for _, g := range groups {
			t.out.line(g.Group)
		}
		return err
	}
	states, err := parseGroupStates(t.f.state)
	if err != nil {
		return err
	}
	types, err := parseGroupTypes(t.f.groupType)
	if err != nil {
		return err
	}
	var groups []listedGroup
	if t.f.groupType == "" {
		var listed []kadm.ListedGroup
		listed, err = t.listGroups(ctx, states...)
		for _, g := range listed {
			groups = append(groups, listedGroup{ListedGroup: g})
		}
	} else {
		groups, err = t.listGroupsByType(ctx, types, states...)
	}
	if err != nil {
		return err
	}
	if t.f.groupType == "" && t.f.state == "" {
		for _, g := range groups {
			t.out.line(g.Group)
		}
		return nil
	}
	// Kafka's printGroupInfo: GROUP 10 wider than the longest name (at
	// least 15), TYPE and STATE 20, every cell padded.
	header := []string{"GROUP"}
	widths := []int{10}
	if t.f.groupType != "" {
		header, widths = append(header, "TYPE"), append(widths, 20)
	}
	if t.f.state != "" {
		header, widths = append(header, "STATE"), append(widths, 20)
	}
	rows := make([][]string, len(groups))
	for i, g := range groups {
		rows[i] = []string{g.Group}
		if t.f.groupType != "" {
			rows[i] = append(rows[i], groupTypeNames[g.typ])
		}
		if t.f.state != "" {
			rows[i] = append(rows[i], g.State)
		}
	}
	widths[0] += widest(15, rows, 0)
	for _, l := range javaTable(widths, append([][]string{header}, rows...)...) {
		t.out.line(l)
	}
	return nil
}

// groupStates are the states a consumer group can be listed by, spelled
// as the broker reports them.
var groupStates = []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling"}

// parseGroupStates reads --state's comma-separated, case-insensitive list
// ("stable,empty"); allStates, or no --state, is no filter.
func parseGroupStates(list string) ([]string, error) {
	if list == allStates || list == "" {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(list, ",") {
		i := slices.IndexFunc(groupStates, func(state string) bool { return strings.EqualFold(state, strings.TrimSpace(s)) })
		if i < 0 {
			return nil, fmt.Errorf("invalid state list '%s'. Valid states are: %s", list, strings.Join(groupStates, ", "))
		}
		out = append(out, groupStates[i])
	}
	return out, nil
}

func (t *groupsTool) deleteGroups(ctx context.Context) error {
	groups, err := t.selectedGroups(ctx)
	if err != nil {
		return err
	}
	rctx, cancel := t.request(ctx)
	defer cancel()
	resps, err := t.adm.DeleteGroups(rctx, groups...)
	if err != nil && len(resps) == 0 {
		return t.requestError("cannot delete groups", err, rctx)
	}
	var deleted, failed []string
	for _, g := range groups {
		r, ok := resps[g]
		switch {
		case !ok:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %s", g, describeRequestError(err, rctx, t.timeout)))
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %s", g, kafkaError(r.Err, r.ErrMessage)))
		default:
			deleted = append(deleted, "'"+g+"'")
		}
	}
	if len(failed) == 0 {
		t.out.linef("Deletion of requested consumer groups (%s) was successful.", strings.Join(deleted, ", "))
		return nil
	}
	t.fail("Deletion of some consumer groups failed:")
	for _, line := range failed {
		t.out.line(line)
	}
	if len(deleted) > 0 {
		t.out.line("")
		t.out.line("These consumer groups were deleted successfully: " + strings.Join(deleted, ", "))
	}
	return nil
}

func (t *groupsTool) deleteOffsets(ctx context.Context) error {
	group := t.f.groups[0]
	partitions, missing, err := t.partitionsOf(ctx, t.f.topics)
	if err != nil {
		return err
	}
	rctx, cancel := t.request(ctx)
	defer cancel()
	resps, err := t.adm.DeleteOffsets(rctx, group, partitions)
	var ke *kerr.Error
	switch {
	case err != nil && !errors.As(err, &ke):
		return t.requestError(fmt.Sprintf("cannot delete offsets of group '%s'", group), err, rctx)
	case err != nil:
		t.fail("%s", ke.Description)
	case resps.Error() != nil || len(missing) > 0:
		t.fail("Encountered some partition-level error, see the follow-up details.")
	default:
		t.out.linef("Request succeeded for deleting offsets from group %s.", group)
	}
	rows := deleteOffsetsRows(partitions, missing, resps, err)
	t.out.line("")
	for _, l := range javaTable([]int{widest(15, rows, 0), 10, 15}, append([][]string{{"TOPIC", "PARTITION", "STATUS"}}, rows...)...) {
		t.out.line(l)
	}
	return nil
}

// deleteOffsetsRows are the TOPIC PARTITION STATUS lines of
// --delete-offsets, sorted: "Successful" or "Error: " and the reason;
// topLevel, when set, failed every partition.
func deleteOffsetsRows(partitions kadm.TopicsSet, missing map[string]error, resps kadm.DeleteOffsetsResponses, topLevel error) [][]string {
	var rows [][]string
	status := func(err error) string {
		if err == nil {
			return "Successful"
		}
		var ke *kerr.Error
		if errors.As(err, &ke) {
			return "Error: " + ke.Description
		}
		return "Error: " + err.Error()
	}
	for _, tp := range partitions.Sorted() {
		for _, p := range tp.Partitions {
			err := topLevel
			if err == nil {
				err, _ = resps.Lookup(tp.Topic, p)
			}
			rows = append(rows, []string{tp.Topic, fmt.Sprint(p), status(err)})
		}
	}
	for _, topic := range sortedKeys(missing) {
		rows = append(rows, []string{topic, "-", status(missing[topic])})
	}
	// Kafka sorts by topic and partition written together, as text.
	key := func(r []string) string {
		if r[1] == missingValue {
			return r[0] + "-1"
		}
		return r[0] + r[1]
	}
	sort.SliceStable(rows, func(i, j int) bool { return key(rows[i]) < key(rows[j]) })
	return rows
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// partitionsOf resolves topic arguments, "t" (every partition of t) or
// "t:0,2", into partitions. Topics the cluster does not have are returned
// apart, each with its error, so a caller can report them per topic.
func (t *groupsTool) partitionsOf(ctx context.Context, args []string) (kadm.TopicsSet, map[string]error, error) {
	set := kadm.TopicsSet{}
	var whole []string
	for _, arg := range args {
		topic, partitions, err := parseTopicPartitions(arg)
		if err != nil {
			return nil, nil, err
		}
		if partitions == nil {
			whole = append(whole, topic)
			continue
		}
		set.Add(topic, partitions...)
	}
	missing := map[string]error{}
	if len(whole) == 0 {
		return set, missing, nil
	}
	rctx, cancel := t.request(ctx)
	defer cancel()
	details, err := t.adm.ListTopics(rctx, whole...)
	if err != nil {
		return nil, nil, t.requestError("cannot describe topics", err, rctx)
	}
	for _, topic := range whole {
		d, ok := details[topic]
		switch {
		case !ok:
			missing[topic] = kerr.UnknownTopicOrPartition
		case d.Err != nil:
			missing[topic] = d.Err
		default:
			for p := range d.Partitions {
				set.Add(topic, p)
			}
		}
	}
	return set, missing, nil
}

// parseTopicPartitions reads "topic" (partitions nil: all of them) or
// "topic:0,1,2".
func parseTopicPartitions(arg string) (topic string, partitions []int32, err error) {
	topic, list, hasList := strings.Cut(arg, ":")
	if topic == "" || (hasList && (list == "" || strings.Contains(list, ":"))) {
		return "", nil, fmt.Errorf("invalid topic arg '%s', expected a topic name and optionally :partition,partition", arg)
	}
	if !hasList {
		return topic, nil, nil
	}
	for _, s := range strings.Split(list, ",") {
		var p int32
		if _, err := fmt.Sscan(strings.TrimSpace(s), &p); err != nil || p < 0 {
			return "", nil, fmt.Errorf("invalid partition '%s' specified in topic arg '%s'", s, arg)
		}
		partitions = append(partitions, p)
	}
	return topic, partitions, nil
}

// validateRegex prints whether re is a valid RE2 expression, the syntax
// the broker takes for a KIP-848 subscription, as Kafka's tool words it
// (its RE2/J names errors as Go's regexp/syntax does).
func validateRegex(out io.Writer, re string) error {
	_, err := syntax.Parse(re, syntax.Perl)
	var serr *syntax.Error
	switch {
	case err == nil:
		_, err = fmt.Fprintf(out, "The regular expression `%s` is valid.\n", re)
	case errors.As(err, &serr):
		_, err = fmt.Fprintf(out, "The regular expression `%s` is invalid: %s.\n", re, serr.Code)
	default:
		_, err = fmt.Fprintf(out, "The regular expression `%s` is invalid: %v.\n", re, err)
	}
	return err
}
