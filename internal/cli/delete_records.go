package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newDeleteRecordsCommand() *cobra.Command {
	conn := &connFlags{}
	var file string
	cmd := &cobra.Command{
		Use:   "delete-records",
		Short: "Delete records up to an offset, per partition (kafka-delete-records.sh)",
		Long: `Move the start of each partition named in --offset-json-file up to the offset
given for it, deleting the records before it, as kafka-delete-records.sh does.
The file is Kafka's:

  {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}

An offset of -1 means the partition's high watermark (delete everything).
Each partition prints its new start ("low_watermark") or the error.`,
		Example: `  echo '{"partitions":[{"topic":"orders","partition":0,"offset":100}],"version":1}' > delete.json
  gregor delete-records --bootstrap-server localhost:9092 --offset-json-file delete.json`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := readDeletePlan(file)
			if err != nil {
				return err
			}
			return conn.withAdmin(cmd, func(ctx context.Context, cl *kgo.Client) error {
				out := newPrinter(cmd.OutOrStdout())
				out.line("Executing records delete operation")
				err := deleteRecords(ctx, adminFor(cl), plan, out)
				if ferr := out.flush(); err == nil {
					err = ferr
				}
				return err
			})
		},
	}
	conn.register(cmd, true)
	cmd.Flags().StringVar(&file, "offset-json-file", "", `REQUIRED: the JSON file of offsets per partition, {"partitions":[{"topic":"foo","partition":1,"offset":1}],"version":1}`)
	_ = cmd.MarkFlagRequired("offset-json-file")
	return cmd
}

// deletePlan is kafka-delete-records.sh's JSON file.
type deletePlan struct {
	Version    *int `json:"version"`
	Partitions *[]struct {
		Topic     *string `json:"topic"`
		Partition *int32  `json:"partition"`
		Offset    *int64  `json:"offset"`
	} `json:"partitions"`
}

// readDeletePlan reads and checks the file as Kafka's tool does, in its
// words: version 1 (the default), and each partition once.
func readDeletePlan(path string) (kadm.Offsets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var plan deletePlan
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&plan); err != nil || dec.More() {
		return nil, errors.New("The input string is not a valid JSON")
	}
	if plan.Version != nil && *plan.Version != 1 {
		return nil, fmt.Errorf("Not supported version field value %d", *plan.Version)
	}
	if plan.Partitions == nil {
		return nil, errors.New("Missing partitions field")
	}
	offsets := kadm.Offsets{}
	var duplicates []string
	for _, p := range *plan.Partitions {
		if p.Topic == nil || p.Partition == nil || p.Offset == nil {
			return nil, errors.New(`each partition needs "topic", "partition" and "offset"`)
		}
		if _, dup := offsets.Lookup(*p.Topic, *p.Partition); dup {
			duplicates = append(duplicates, tpString(*p.Topic, *p.Partition))
		}
		offsets.Add(kadm.Offset{Topic: *p.Topic, Partition: *p.Partition, At: *p.Offset, LeaderEpoch: -1})
	}
	if len(duplicates) > 0 {
		return nil, fmt.Errorf("Offset json file contains duplicate topic partitions: %s", strings.Join(duplicates, ","))
	}
	return offsets, nil
}

// deleteRecords sends the plan and prints each partition's result, in
// "topic-partition" order.
func deleteRecords(ctx context.Context, adm *kadm.Client, plan kadm.Offsets, out *printer) error {
	resps, err := adm.DeleteRecords(ctx, plan)
	var shardErrs *kadm.ShardErrors
	if errors.As(err, &shardErrs) {
		// A shard that could not be sent (an unknown topic has no leader
		// to send to) fails its partitions, not the others.
		for _, se := range shardErrs.Errs {
			for _, t := range se.Req.(*kmsg.DeleteRecordsRequest).Topics {
				for _, p := range t.Partitions {
					if resps[t.Topic] == nil {
						resps[t.Topic] = map[int32]kadm.DeleteRecordsResponse{}
					}
					resps[t.Topic][p.Partition] = kadm.DeleteRecordsResponse{Topic: t.Topic, Partition: p.Partition, Err: se.Err}
				}
			}
		}
	} else if err != nil {
		return err
	}
	out.line("Records delete operation completed:")
	var lines [][2]string
	plan.Each(func(o kadm.Offset) {
		tp := tpString(o.Topic, o.Partition)
		r, ok := resps.Lookup(o.Topic, o.Partition)
		switch {
		case !ok:
			lines = append(lines, [2]string{tp, fmt.Sprintf("partition: %s\terror: no response from the broker", tp)})
		case r.Err != nil:
			lines = append(lines, [2]string{tp, fmt.Sprintf("partition: %s\terror: %s", tp, javaException(r.Err, ""))})
		default:
			lines = append(lines, [2]string{tp, fmt.Sprintf("partition: %s\tlow_watermark: %d", tp, r.LowWatermark)})
		}
	})
	slices.SortFunc(lines, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, l := range lines {
		out.line(l[1])
	}
	return nil
}
