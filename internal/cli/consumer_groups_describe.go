package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// missingValue fills a column that has no value, as Kafka's tool does.
const missingValue = "-"

// describe prints one view of each selected group, in group order: a
// blank line, then a table, as kafka-consumer-groups.sh --describe does.
func (t *groupsTool) describe(ctx context.Context) error {
	groups, err := t.selectedGroups(ctx)
	if err != nil || len(groups) == 0 {
		return err
	}
	described, err := t.describeGroups(ctx, groups)
	if err != nil {
		return err
	}
	for _, name := range groups {
		g := described[name]
		if !t.found(g) {
			continue
		}
		switch {
		case t.f.members:
			t.describeMembers(g)
		case t.f.state != "":
			t.describeState(g)
		default:
			if err := t.describeOffsets(ctx, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// describeGroups describes groups as Kafka 4's admin client does: as
// consumer groups first (ConsumerGroupDescribe), then those that are not
// as classic groups (DescribeGroups), in one request per coordinator
// each. Every group is in the answer: a group whose coordinator failed to
// answer carries that error, one the cluster does not know is Dead.
func (t *groupsTool) describeGroups(ctx context.Context, groups []string) (map[string]groupDescription, error) {
	described := t.describeConsumerType(ctx, groups)
	var classic []string
	for _, name := range groups {
		if _, ok := described[name]; !ok {
			classic = append(classic, name)
		}
	}
	if len(classic) == 0 {
		return described, nil
	}
	rctx, cancel := t.request(ctx)
	defer cancel()
	answered, err := t.adm.DescribeGroups(rctx, classic...)
	if err != nil && len(answered) == 0 {
		return nil, t.requestError("cannot describe groups", err, rctx)
	}
	for _, name := range classic {
		g, ok := answered[name]
		if !ok {
			g = kadm.DescribedGroup{Group: name, State: "Dead"}
			if err != nil {
				g.Err, g.ErrMessage = err, describeRequestError(err, rctx, t.timeout)
			}
		}
		described[name] = classicDescription(g)
	}
	return described, nil
}

// found reports whether group g exists, and prints Kafka's error when
// it does not or could not be described.
func (t *groupsTool) found(g groupDescription) bool {
	switch {
	case g.missing():
		t.fail("Consumer group '%s' does not exist.", g.group)
	case g.err != nil:
		t.fail("Cannot describe consumer group '%s': %s", g.group, kafkaError(g.err, g.errMessage))
	default:
		return true
	}
	return false
}

// noteState prints Kafka's note for a group with no members or one in
// the middle of a rebalance.
func (t *groupsTool) noteState(g groupDescription) {
	switch g.state {
	case "Empty":
		t.note("Consumer group '%s' has no active members.", g.group)
	case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
		t.note("Warning: Consumer group '%s' is rebalancing.", g.group)
	}
}

func (t *groupsTool) describeOffsets(ctx context.Context, g groupDescription) error {
	committed, err := t.committedOffsets(ctx, g.group)
	if err != nil {
		return err
	}
	topics := committed.Partitions()
	for _, m := range g.members {
		topics.Merge(m.assignment)
	}
	ends, err := t.endOffsets(ctx, topics.Topics())
	if err != nil {
		return err
	}
	rows := offsetRows(g, committed, ends)
	t.noteState(g)
	if len(rows) == 0 {
		return nil
	}
	header := []string{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"}
	if t.f.verbose {
		header = slices.Insert(header, 3, "LEADER-EPOCH")
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.cells(g.group, t.f.verbose)
	}
	// Kafka's printOffsetFormat: GROUP, TOPIC, CONSUMER-ID and HOST as
	// wide as their values (at least 15), the others fixed.
	widths := []int{widest(15, cells, 0), widest(15, cells, 1), 10, 15, 15, 15}
	if t.f.verbose {
		widths = append(widths, 15)
	}
	n := len(widths)
	widths = append(widths, widest(15, cells, n), widest(15, cells, n+1), 0)
	t.out.line("")
	for _, l := range javaTable(widths, append([][]string{header}, cells...)...) {
		t.out.line(l)
	}
	return nil
}

// committedOffsets returns what group has committed; a group the
// coordinator does not know has committed nothing.
func (t *groupsTool) committedOffsets(ctx context.Context, group string) (kadm.OffsetResponses, error) {
	rctx, cancel := t.request(ctx)
	defer cancel()
	committed, err := t.adm.FetchOffsets(rctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return kadm.OffsetResponses{}, nil
	}
	if err != nil {
		return nil, t.requestError(fmt.Sprintf("cannot fetch the offsets of group '%s'", group), err, rctx)
	}
	committed.KeepFunc(func(o kadm.OffsetResponse) bool { return o.Err == nil && o.At >= 0 })
	return committed, nil
}

// endOffsets lists the log end offset (high watermark) of every partition
// of topics. A topic that cannot be listed has no entries: its rows show
// "-".
func (t *groupsTool) endOffsets(ctx context.Context, topics []string) (kadm.ListedOffsets, error) {
	if len(topics) == 0 {
		return kadm.ListedOffsets{}, nil
	}
	rctx, cancel := t.request(ctx)
	defer cancel()
	ends, err := t.adm.ListEndOffsets(rctx, topics...)
	if err != nil && len(ends) == 0 {
		return nil, t.requestError("cannot list log end offsets", err, rctx)
	}
	return ends, nil
}

// memberAssignment is the partitions a consumer-protocol member was
// assigned; none for other protocols.
func memberAssignment(m kadm.DescribedGroupMember) kadm.TopicsSet {
	s := kadm.TopicsSet{}
	if a, ok := m.Assigned.AsConsumer(); ok {
		for _, tp := range a.Topics {
			s.Add(tp.Topic, tp.Partitions...)
		}
	}
	return s
}

// offsetRow is one partition of --describe --offsets.
type offsetRow struct {
	topic       string
	partition   int32
	committed   int64 // -1: nothing committed
	leaderEpoch int32 // of the committed offset; -1: unknown
	logEnd      int64 // -1: unknown
	member      *groupMember
}

// offsetRows builds the --offsets view as Kafka orders it: the assigned
// partitions of each member, members with more partitions first, then the
// partitions with a committed offset that no member holds.
func offsetRows(g groupDescription, committed kadm.OffsetResponses, ends kadm.ListedOffsets) []offsetRow {
	row := func(topic string, p int32, m *groupMember) offsetRow {
		r := offsetRow{topic: topic, partition: p, committed: -1, leaderEpoch: -1, logEnd: -1, member: m}
		if o, ok := committed.Lookup(topic, p); ok && o.Err == nil && o.At >= 0 {
			r.committed, r.leaderEpoch = o.At, o.LeaderEpoch
		}
		if o, ok := ends.Lookup(topic, p); ok && o.Err == nil {
			r.logEnd = o.Offset
		}
		return r
	}
	members := slices.Clone(g.members)
	sort.SliceStable(members, func(i, j int) bool {
		return countPartitions(members[i].assignment) > countPartitions(members[j].assignment)
	})
	var rows []offsetRow
	assigned := kadm.TopicsSet{}
	for i := range members {
		a := members[i].assignment
		assigned.Merge(a)
		for _, tp := range a.Sorted() {
			for _, p := range tp.Partitions {
				rows = append(rows, row(tp.Topic, p, &members[i]))
			}
		}
	}
	for _, tp := range committed.Partitions().Sorted() {
		for _, p := range tp.Partitions {
			if !assigned.Lookup(tp.Topic, p) {
				rows = append(rows, row(tp.Topic, p, nil))
			}
		}
	}
	return rows
}

func countPartitions(s kadm.TopicsSet) int {
	n := 0
	for _, ps := range s {
		n += len(ps)
	}
	return n
}

// lag is the log end offset minus the committed offset, or -1 when
// either is unknown.
func (r offsetRow) lag() int64 {
	if r.committed < 0 || r.logEnd < 0 {
		return -1
	}
	return r.logEnd - r.committed
}

// cells renders r under the --offsets header of group.
func (r offsetRow) cells(group string, verbose bool) []string {
	consumer, host, client := missingValue, missingValue, missingValue
	if r.member != nil {
		consumer, host, client = r.member.id, r.member.host, r.member.clientID
	}
	c := []string{group, r.topic, strconv.Itoa(int(r.partition))}
	if verbose {
		c = append(c, orMissing(int64(r.leaderEpoch)))
	}
	return append(c, orMissing(r.committed), orMissing(r.logEnd), orMissing(r.lag()), consumer, host, client)
}

// orMissing prints n, or "-" for a negative (unknown) value.
func orMissing(n int64) string {
	if n < 0 {
		return missingValue
	}
	return strconv.FormatInt(n, 10)
}

func (t *groupsTool) describeMembers(g groupDescription) {
	t.noteState(g)
	header, rows := memberRows(g)
	// Kafka's printMembers: the member columns as wide as their values
	// (GROUP-INSTANCE-ID at least 17, the others 15) and #PARTITIONS 15,
	// each followed by a space; --verbose adds the epochs and assignments.
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = widest(max(15, len(h)), rows, i)
	}
	widths[len(widths)-1] = 15
	lines := javaTable(widths, append([][]string{header}, rows...)...)
	if t.f.verbose {
		vheader, vrows := memberEpochRows(g)
		vwidths := []int{15, widest(20, vrows, 1), 15, widest(20, vrows, 3)}
		if len(vheader) > 4 {
			vwidths = append(vwidths, 0)
		}
		for i, l := range javaTable(vwidths, append([][]string{vheader}, vrows...)...) {
			lines[i] += " " + l
		}
	} else {
		for i := range lines {
			lines[i] += " "
		}
	}
	t.out.line("")
	for _, l := range lines {
		t.out.line(l)
	}
}

// memberRows builds the --members view: GROUP-INSTANCE-ID only when some
// member is static.
func memberRows(g groupDescription) (header []string, rows [][]string) {
	static := slices.ContainsFunc(g.members, func(m groupMember) bool { return m.instanceID != nil })
	header = []string{"GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"}
	if static {
		header = slices.Insert(header, 2, "GROUP-INSTANCE-ID")
	}
	for _, m := range g.members {
		row := []string{g.group, m.id, m.host, m.clientID, strconv.Itoa(countPartitions(m.assignment))}
		if static {
			instance := ""
			if m.instanceID != nil {
				instance = *m.instanceID
			}
			row = slices.Insert(row, 2, instance)
		}
		rows = append(rows, row)
	}
	return header, rows
}

// memberEpochRows are the columns --members --verbose adds, as Kafka 4
// prints them for groups of either protocol: the member's epoch and
// assignment, the group's target assignment epoch and the member's target
// assignment ("-" where a classic group has none), and UPGRADED while
// classic and consumer-protocol members share the group.
func memberEpochRows(g groupDescription) (header []string, rows [][]string) {
	migrating := g.migrating()
	header = []string{"CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"}
	if migrating {
		header = append(header, "UPGRADED")
	}
	for _, m := range g.members {
		epoch, targetEpoch := missingValue, missingValue
		if g.typ == groupTypeConsumer {
			epoch, targetEpoch = orMissing(int64(m.epoch)), orMissing(int64(g.assignmentEpoch))
		}
		row := []string{epoch, assignmentString(m.assignment), targetEpoch, assignmentString(m.target)}
		if migrating {
			row = append(row, upgradedString(m.upgraded))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// migrating reports whether a consumer group has members of both
// protocols, as while its classic members are upgraded.
func (g groupDescription) migrating() bool {
	classic := slices.ContainsFunc(g.members, func(m groupMember) bool { return m.upgraded != nil && !*m.upgraded })
	consumer := slices.ContainsFunc(g.members, func(m groupMember) bool { return m.upgraded != nil && *m.upgraded })
	return classic && consumer
}

func upgradedString(upgraded *bool) string {
	if upgraded == nil {
		return missingValue
	}
	return strconv.FormatBool(*upgraded)
}

// assignmentString renders partitions as Kafka does: "a:0,1;b:2", topics
// and partitions sorted, "-" for none.
func assignmentString(s kadm.TopicsSet) string {
	var parts []string
	for _, tp := range s.Sorted() {
		ps := make([]string, len(tp.Partitions))
		for i, p := range tp.Partitions {
			ps[i] = strconv.Itoa(int(p))
		}
		parts = append(parts, tp.Topic+":"+strings.Join(ps, ","))
	}
	if len(parts) == 0 {
		return missingValue
	}
	return strings.Join(parts, ";")
}

func (t *groupsTool) describeState(g groupDescription) {
	t.noteState(g)
	header, row := stateRow(g, t.f.verbose)
	// Kafka's printStates: GROUP at least 15, COORDINATOR (ID) at least 25,
	// ASSIGNMENT-STRATEGY and STATE 20, the epochs 15 and 25.
	widths := []int{max(15, len(row[0])), max(25, len(row[1])), 20, 20}
	if t.f.verbose {
		widths = append(widths, 15, 25)
	}
	t.out.line("")
	for _, l := range javaTable(append(widths, 0), header, row) {
		t.out.line(l)
	}
}

// stateRow builds the --state view. Classic groups have no group or
// target assignment epoch: --verbose prints "-" for them.
func stateRow(g groupDescription, verbose bool) (header, row []string) {
	coordinator := fmt.Sprintf("%s:%d  (%d)", g.coordinator.Host, g.coordinator.Port, g.coordinator.NodeID)
	strategy := g.strategy
	if strategy == "" {
		strategy = missingValue
	}
	header = []string{"GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"}
	row = []string{g.group, coordinator, strategy, g.state, strconv.Itoa(len(g.members))}
	if verbose {
		header = slices.Insert(header, 4, "GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH")
		row = slices.Insert(row, 4, orMissing(int64(g.groupEpoch)), orMissing(int64(g.assignmentEpoch)))
	}
	return header, row
}
