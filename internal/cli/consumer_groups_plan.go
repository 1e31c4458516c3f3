package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// A reset plan, as kafka-consumer-groups.sh --reset-offsets --export
// prints it and --from-file reads it, is CSV without a header, one
// partition a line: "topic,partition,offset" when exactly one --group was
// given, "group,topic,partition,offset" otherwise (--all-groups, or
// several --group).

// exportResetPlan writes plans (group → new offsets) as a CSV reset plan,
// sorted by group, topic and partition; withGroup selects the four-column
// form.
func exportResetPlan(w io.Writer, groups []string, plans map[string]kadm.Offsets, withGroup bool) error {
	cw := csv.NewWriter(w)
	for _, g := range groups {
		for _, o := range plans[g].Sorted() {
			rec := []string{o.Topic, strconv.Itoa(int(o.Partition)), strconv.FormatInt(o.At, 10)}
			if withGroup {
				rec = append([]string{g}, rec...)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// readResetPlan reads the --from-file plan at path; group is the one
// --group when exactly one was given, and "" otherwise.
func readResetPlan(path, group string) (map[string]kadm.Offsets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the reset plan: %w", err)
	}
	plans, err := parseResetPlan(string(data), group)
	if err != nil {
		return nil, fmt.Errorf("invalid reset plan %s: %w", path, err)
	}
	return plans, nil
}

// parseResetPlan reads a CSV reset plan as Kafka does: with one --group
// (group != "") and a first line of three columns, every line is
// topic,partition,offset for that group; otherwise every line is
// group,topic,partition,offset. Blank lines are skipped, as the blank
// line that ends --export's output.
func parseResetPlan(text, group string) (map[string]kadm.Offsets, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	columns := 4
	if group != "" && len(records) > 0 && len(records[0]) == 3 {
		columns = 3
	}
	plans := map[string]kadm.Offsets{}
	for i, rec := range records {
		o, g, err := planRecord(rec, columns, group)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		plan := plans[g]
		plan.Delete(o.Topic, o.Partition) // a later line wins, as in Kafka
		plan.Add(o)
		plans[g] = plan
	}
	return plans, nil
}

// planRecord reads one plan record of the given number of columns; group
// is the group of a three-column record.
func planRecord(rec []string, columns int, group string) (kadm.Offset, string, error) {
	if len(rec) != columns {
		want := "group,topic,partition,offset"
		if columns == 3 {
			want = "topic,partition,offset"
		}
		return kadm.Offset{}, "", fmt.Errorf("expected %s, got %q", want, strings.Join(rec, ","))
	}
	if columns == 4 {
		group, rec = rec[0], rec[1:]
	}
	p, err := strconv.ParseInt(rec[1], 10, 32)
	if err != nil || p < 0 {
		return kadm.Offset{}, "", fmt.Errorf("invalid partition %q: expected a number", rec[1])
	}
	offset, err := strconv.ParseInt(rec[2], 10, 64)
	if err != nil || offset < 0 {
		return kadm.Offset{}, "", fmt.Errorf("invalid offset %q: expected a number", rec[2])
	}
	return kadm.Offset{Topic: rec[0], Partition: int32(p), At: offset, LeaderEpoch: -1}, group, nil
}
