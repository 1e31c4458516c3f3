package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// resetScenario is how --reset-offsets picks each partition's new offset.
type resetScenario int

const (
	resetToEarliest resetScenario = iota
	resetToLatest
	resetToCurrent
	resetToOffset
	resetShiftBy
	resetToTime // --to-datetime and --by-duration
	resetFromFile
)

// resetSpec is a parsed --reset-offsets scenario.
type resetSpec struct {
	scenario  resetScenario
	n         int64                   // --to-offset's offset, --shift-by's distance
	timestamp int64                   // resetToTime: milliseconds since the epoch; a time before it is 0, not a ListOffsets special value
	execute   bool                    // commit; otherwise only print the plan
	plans     map[string]kadm.Offsets // resetFromFile: each group's planned offsets
}

// resetSpec checks the --reset-offsets options and parses the scenario;
// now anchors --by-duration.
func (f *consumerGroupsFlags) resetSpec(changed func(string) bool, now time.Time) (*resetSpec, error) {
	if f.dryRun && f.execute {
		return nil, errors.New("option [reset-offsets] only accepts one of [execute] and [dry-run]")
	}
	var given []string
	for _, s := range resetScenarios {
		if changed(s) {
			given = append(given, s)
		}
	}
	switch {
	case len(given) == 0:
		return nil, fmt.Errorf("option [reset-offsets] requires one of the following scenarios: %s", optionList(resetScenarios, ", "))
	case len(given) > 1:
		return nil, fmt.Errorf("option [%s] can't be used with option [%s]", given[0], given[1])
	}
	spec := &resetSpec{execute: f.execute}
	switch given[0] {
	case "to-earliest":
		spec.scenario = resetToEarliest
	case "to-latest":
		spec.scenario = resetToLatest
	case "to-current":
		spec.scenario = resetToCurrent
	case "to-offset":
		spec.scenario, spec.n = resetToOffset, f.toOffset
	case "shift-by":
		spec.scenario, spec.n = resetShiftBy, f.shiftBy
	case "to-datetime":
		at, err := parseDatetime(f.toDatetime, time.Local)
		if err != nil {
			return nil, err
		}
		spec.scenario, spec.timestamp = resetToTime, max(at.UnixMilli(), 0)
	case "from-file":
		group := ""
		if len(f.groups) == 1 {
			group = f.groups[0]
		}
		plans, err := readResetPlan(f.fromFile, group)
		if err != nil {
			return nil, err
		}
		spec.scenario, spec.plans = resetFromFile, plans
	case "by-duration":
		d, err := parseISODuration(f.byDuration)
		if err != nil {
			return nil, err
		}
		spec.scenario, spec.timestamp = resetToTime, max(now.Add(-d).UnixMilli(), 0)
	}
	return spec, nil
}

// datetimeLayouts are the forms --to-datetime takes: Kafka's
// YYYY-MM-DDTHH:mm:SS.sss (the fraction is optional here), in local time
// or followed by a zone such as Z, +01:00, +0100 or +01.
var datetimeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
}

// parseDatetime reads --to-datetime; a time without a zone is in loc.
func parseDatetime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range datetimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid --to-datetime %q: expected YYYY-MM-DDTHH:mm:SS.sss, optionally followed by a time zone such as Z or +01:00", s)
}

// isoDuration is java.time.Duration's text form, PnDTnHnMnS: each number
// signed, a fraction only on seconds, the whole optionally negated.
var isoDuration = regexp.MustCompile(`(?i)^([-+]?)P(?:([-+]?\d+)D)?(T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$`)

// parseISODuration reads --by-duration as Java's Duration.parse does,
// for example PT1H, P1DT12H, PT30M, PT0.5S or -PT5M.
func parseISODuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid --by-duration %q: expected PnDTnHnMnS, for example PT1H or P1DT12H", s)
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || (m[2] == "" && m[4] == "" && m[5] == "" && m[6] == "") || strings.EqualFold(m[3], "T") {
		return 0, bad
	}
	var total time.Duration
	for _, part := range []struct {
		digits string
		unit   time.Duration
	}{{m[2], 24 * time.Hour}, {m[4], time.Hour}, {m[5], time.Minute}, {m[6], time.Second}} {
		if part.digits == "" {
			continue
		}
		n, err := strconv.ParseInt(part.digits, 10, 64)
		if err != nil || n > math.MaxInt64/int64(part.unit) || n < math.MinInt64/int64(part.unit) {
			return 0, bad
		}
		total += time.Duration(n) * part.unit
	}
	if m[7] != "" {
		frac, _ := strconv.ParseInt((m[7] + "000000000")[:9], 10, 64)
		if strings.HasPrefix(m[6], "-") {
			frac = -frac
		}
		total += time.Duration(frac)
	}
	if m[1] == "-" {
		total = -total
	}
	return total, nil
}

// partitionOffsets is what the cluster knows of one partition.
type partitionOffsets struct {
	committed  int64 // -1: the group has committed nothing
	start, end int64 // log start offset and log end offset
	atTime     int64 // first offset at or after the scenario's time; -1: none
	planned    int64 // resetFromFile: the offset the plan asks for
}

// resetTarget is one partition's new offset, with what to tell the user
// about how it was chosen.
type resetTarget struct {
	offset int64
	// warning is logged on standard error when the scenario's offset was
	// outside [start, end] and moved to the nearer end, as Kafka logs it.
	warning string
	// notice is printed on standard output when no record is at or after
	// the time, and the end offset is used, as Kafka prints it.
	notice string
}

// target computes the new offset of partition (topic, p) as Kafka's
// reset does: the earliest, latest, committed or given offset, the
// committed one shifted, or the first at a time; clamped to [start, end]
// for --to-offset and --shift-by.
func (s *resetSpec) target(topic string, p int32, o partitionOffsets) (resetTarget, error) {
	switch s.scenario {
	case resetToEarliest:
		return resetTarget{offset: o.start}, nil
	case resetToLatest:
		return resetTarget{offset: o.end}, nil
	case resetToCurrent:
		if o.committed >= 0 {
			return resetTarget{offset: o.committed}, nil
		}
		return resetTarget{offset: o.end}, nil
	case resetToOffset:
		return clampOffset(topic, p, s.n, o), nil
	case resetFromFile:
		return clampOffset(topic, p, o.planned, o), nil
	case resetShiftBy:
		if o.committed < 0 {
			return resetTarget{}, fmt.Errorf("cannot shift offset for partition %s-%d since there is no current committed offset", topic, p)
		}
		return clampOffset(topic, p, o.committed+s.n, o), nil
	}
	if o.atTime >= 0 {
		return resetTarget{offset: o.atTime}, nil
	}
	return resetTarget{offset: o.end,
		notice: fmt.Sprintf("Warn: Partition %d from topic %s is empty. Falling back to latest known offset.", p, topic)}, nil
}

// clampOffset keeps offset within [o.start, o.end], saying so when it moves.
func clampOffset(topic string, p int32, offset int64, o partitionOffsets) resetTarget {
	switch {
	case offset > o.end:
		return resetTarget{offset: o.end, warning: fmt.Sprintf(
			"New offset (%d) is higher than latest offset for topic partition %s-%d. Value will be set to %d.", offset, topic, p, o.end)}
	case offset < o.start:
		return resetTarget{offset: o.start, warning: fmt.Sprintf(
			"New offset (%d) is lower than earliest offset for topic partition %s-%d. Value will be set to %d.", offset, topic, p, o.start)}
	}
	return resetTarget{offset: offset}
}

// resetOffsets plans, and with --execute commits, new offsets for each
// selected group that has no active members, then prints GROUP TOPIC
// PARTITION NEW-OFFSET, or with --export the CSV plan.
func (t *groupsTool) resetOffsets(ctx context.Context) error {
	if !t.reset.execute && !t.f.dryRun {
		fmt.Fprintln(t.errOut, "WARN: No action will be performed as the --execute option is missing. "+
			"Add --dry-run to ask for the plan only, or --execute to commit it.")
	}
	groups, err := t.selectedGroups(ctx)
	if err != nil || len(groups) == 0 {
		return err
	}
	described, err := t.describeGroups(ctx, groups)
	if err != nil {
		return err
	}
	plans := map[string]kadm.Offsets{}
	prog := newProgress(t.errOut)
	for i, name := range groups {
		if !t.resettable(described[name]) {
			continue
		}
		plan, err := t.planReset(ctx, name)
		if err != nil {
			return err
		}
		if t.reset.execute {
			if err := t.commit(ctx, name, plan, prog); err != nil {
				return err
			}
		}
		plans[name] = plan
		prog.step("groups reset", i+1, len(groups))
	}
	if len(groups) > 1 {
		prog.finish("groups reset", len(groups), len(groups))
	}
	if t.f.export {
		return t.exportPlans(groups, plans)
	}
	t.printPlans(groups, plans)
	return nil
}

// printPlans prints the GROUP TOPIC PARTITION NEW-OFFSET table.
func (t *groupsTool) printPlans(groups []string, plans map[string]kadm.Offsets) {
	var rows [][]string
	for _, name := range groups {
		for _, o := range plans[name].Sorted() {
			rows = append(rows, []string{name, o.Topic, strconv.Itoa(int(o.Partition)), strconv.FormatInt(o.At, 10)})
		}
	}
	t.out.line("")
	if len(rows) == 0 {
		return
	}
	// Kafka's printOffsetsToReset: GROUP and TOPIC as wide as their values
	// (at least 15), PARTITION 10.
	widths := []int{widest(15, rows, 0), widest(15, rows, 1), 10, 0}
	for _, l := range javaTable(widths, append([][]string{{"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"}}, rows...)...) {
		t.out.line(l)
	}
}

// exportPlans prints the plans as CSV followed by a blank line, as Kafka's
// --export does; the group column is left out when one --group was given.
func (t *groupsTool) exportPlans(groups []string, plans map[string]kadm.Offsets) error {
	var b strings.Builder
	if err := exportResetPlan(&b, groups, plans, len(t.f.groups) != 1); err != nil {
		return err
	}
	t.out.line(b.String())
	return nil
}

// resettable reports whether group g may have its offsets reset: it has
// no active members (Empty), or does not exist yet. Otherwise it prints
// Kafka's refusal.
func (t *groupsTool) resettable(g groupDescription) bool {
	switch {
	case g.missing() || (g.err == nil && g.state == "Empty"):
		return true
	case g.err != nil:
		t.fail("Cannot describe consumer group '%s': %s", g.group, kafkaError(g.err, g.errMessage))
	default:
		t.fail("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", g.group, g.state)
	}
	return false
}

// planReset computes the new offset of every partition in the scope.
func (t *groupsTool) planReset(ctx context.Context, group string) (kadm.Offsets, error) {
	committed, err := t.committedOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	fromFile := t.reset.plans[group]
	if t.reset.scenario == resetFromFile && fromFile == nil {
		t.fail("No reset plan for group %s found", group) // Kafka's wording
		return kadm.Offsets{}, nil
	}
	scope, err := t.resetScope(ctx, committed, fromFile)
	if err != nil {
		return nil, err
	}
	known, err := t.logOffsets(ctx, scope)
	if err != nil {
		return nil, err
	}
	plan := kadm.Offsets{}
	for _, tp := range scope.Sorted() {
		for _, p := range tp.Partitions {
			o := known(tp.Topic, p)
			if c, ok := committed.Lookup(tp.Topic, p); ok {
				o.committed = c.At
			}
			if planned, ok := fromFile.Lookup(tp.Topic, p); ok {
				o.planned = planned.At
			}
			target, err := t.reset.target(tp.Topic, p, o)
			if err != nil {
				return nil, err
			}
			if target.warning != "" {
				warnf(t.errOut, "%s", target.warning)
			}
			if target.notice != "" {
				t.out.line("")
				t.out.line(target.notice)
			}
			plan.Add(kadm.Offset{Topic: tp.Topic, Partition: p, At: target.offset, LeaderEpoch: -1})
		}
	}
	return plan, nil
}

// resetScope is the partitions to reset: those of the --from-file plan,
// those committed (--all-topics) or those named by --topic, which must all
// exist.
func (t *groupsTool) resetScope(ctx context.Context, committed kadm.OffsetResponses, fromFile kadm.Offsets) (kadm.TopicsSet, error) {
	scope := committed.Partitions()
	switch {
	case t.reset.scenario == resetFromFile:
		scope = fromFile.TopicsSet()
	case !t.f.allTopics:
		var missing map[string]error
		var err error
		if scope, missing, err = t.partitionsOf(ctx, t.f.topics); err != nil {
			return nil, err
		}
		if topics := sortedKeys(missing); len(topics) > 0 {
			return nil, topicNotFound(topics[0])
		}
	}
	if len(scope) == 0 {
		return scope, nil
	}
	rctx, cancel := t.request(ctx)
	defer cancel()
	details, err := t.adm.ListTopics(rctx, scope.Topics()...)
	if err != nil {
		return nil, t.requestError("cannot describe topics", err, rctx)
	}
	var absent []string
	for _, tp := range scope.Sorted() {
		for _, p := range tp.Partitions {
			d, ok := details[tp.Topic]
			if !ok || d.Err != nil || !hasPartition(d, p) {
				absent = append(absent, fmt.Sprintf("%s-%d", tp.Topic, p))
			}
		}
	}
	if len(absent) > 0 {
		return nil, fmt.Errorf("The partitions \"%s\" do not exist", strings.Join(absent, ",")) // Kafka's wording
	}
	return scope, nil
}

func hasPartition(d kadm.TopicDetail, p int32) bool {
	_, ok := d.Partitions[p]
	return ok
}

// logOffsets lists the start, end and (for a time scenario) by-time
// offsets of the partitions in scope, and returns a lookup.
func (t *groupsTool) logOffsets(ctx context.Context, scope kadm.TopicsSet) (func(string, int32) partitionOffsets, error) {
	topics := scope.Topics()
	list := func(what string, fn func(context.Context, ...string) (kadm.ListedOffsets, error)) (kadm.ListedOffsets, error) {
		if len(topics) == 0 {
			return kadm.ListedOffsets{}, nil
		}
		rctx, cancel := t.request(ctx)
		defer cancel()
		listed, err := fn(rctx, topics...)
		if err == nil {
			err = listed.Error()
		}
		if err != nil {
			return nil, t.requestError("cannot list "+what+" offsets", err, rctx)
		}
		return listed, nil
	}
	starts, err := list("earliest", t.adm.ListStartOffsets)
	if err != nil {
		return nil, err
	}
	ends, err := list("latest", t.adm.ListEndOffsets)
	if err != nil {
		return nil, err
	}
	atTime := kadm.ListedOffsets{}
	if t.reset.scenario == resetToTime {
		byTime := func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
			return t.adm.ListOffsetsAfterMilli(ctx, t.reset.timestamp, topics...)
		}
		if atTime, err = list("by-time", byTime); err != nil {
			return nil, err
		}
	}
	return func(topic string, p int32) partitionOffsets {
		o := partitionOffsets{committed: -1, atTime: -1}
		s, _ := starts.Lookup(topic, p)
		e, _ := ends.Lookup(topic, p)
		o.start, o.end = s.Offset, e.Offset
		// kadm answers the end offset, with no timestamp, where no
		// record is at or after the time: that is Kafka's fallback.
		if a, ok := atTime.Lookup(topic, p); ok && a.Timestamp >= 0 {
			o.atTime = a.Offset
		}
		return o
	}, nil
}

// commitChunk is how many offsets one OffsetCommit request carries, so
// that a reset of many partitions reports its progress between requests
// and each request stays well inside --timeout; tests lower it.
var commitChunk = 1000

// commit writes plan as group's committed offsets, as an admin commit
// (no member, no generation) that the coordinator accepts only while the
// group has no active members; in requests of commitChunk offsets, with a
// progress line when one is due. A request that fails stops the commit:
// the offsets of the requests before it are committed, as with Kafka's
// single request a partition's error leaves the others committed.
func (t *groupsTool) commit(ctx context.Context, group string, plan kadm.Offsets, prog *progress) error {
	offsets := plan.Sorted()
	what := fmt.Sprintf("new offsets of group '%s' committed", group)
	for start := 0; start < len(offsets); start += commitChunk {
		chunk := kadm.Offsets{}
		for _, o := range offsets[start:min(start+commitChunk, len(offsets))] {
			chunk.Add(o)
		}
		if err := t.commitRequest(ctx, group, chunk); err != nil {
			return err
		}
		prog.step(what, min(start+commitChunk, len(offsets)), len(offsets))
	}
	prog.finish(what, len(offsets), len(offsets))
	return nil
}

// commitRequest commits offsets in one OffsetCommit request.
func (t *groupsTool) commitRequest(ctx context.Context, group string, offsets kadm.Offsets) error {
	rctx, cancel := t.request(ctx)
	defer cancel()
	resps, err := t.adm.CommitOffsets(rctx, group, offsets)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return t.requestError(fmt.Sprintf("cannot commit the new offsets of group '%s'", group), err, rctx)
	}
	return nil
}
