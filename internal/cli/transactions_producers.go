package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

func newDescribeProducersCommand(run txnRunner) *cobra.Command {
	var topic string
	var partition, brokerID int32
	cmd := &cobra.Command{
		Use: "describe-producers", Short: "describe the states of active producers for a topic partition", Args: cobra.NoArgs, SilenceUsage: true,
	}
	cmd.RunE = run(func(t *transactionsTool, ctx context.Context) error {
		broker := int32(-1)
		if cmd.Flags().Changed("broker-id") {
			broker = brokerID
		}
		return t.describeProducers(ctx, topic, partition, broker)
	})
	cmd.Flags().StringVar(&topic, "topic", "", "REQUIRED: topic name")
	cmd.Flags().Int32Var(&partition, "partition", 0, "REQUIRED: partition number")
	cmd.Flags().Int32Var(&brokerID, "broker-id", 0, "the replica to describe; gregor answers on the leader only, so another broker fails")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("partition")
	return cmd
}

// producersOf describes the producers of topic/partition on its leader.
func (t *transactionsTool) producersOf(ctx context.Context, topic string, partitions ...int32) ([]kadm.DescribedProducersPartition, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	set := kadm.TopicsSet{}
	set.Add(topic, partitions...)
	ds, err := t.adm.DescribeProducers(ctx, set)
	if err != nil {
		return nil, err
	}
	return ds.SortedPartitions(), nil
}

func (t *transactionsTool) describeProducers(ctx context.Context, topic string, partition, broker int32) error {
	ps, err := t.producersOf(ctx, topic, partition)
	if err == nil && len(ps) == 0 {
		err = errors.New("no answer")
	}
	if err == nil {
		err = ps[0].Err
	}
	if err == nil && broker >= 0 && ps[0].Leader != broker {
		return fmt.Errorf("Failed to describe producers for partition %s-%d on broker %d: not the leader (gregor describes producers on the leader only)", topic, partition, broker)
	}
	if err != nil {
		return fmt.Errorf("Failed to describe producers for partition %s-%d on leader: %v", topic, partition, err)
	}
	var rows [][]string
	for _, p := range ps[0].ActiveProducers.Sorted() {
		start := "None"
		if p.CurrentTxnStartOffset >= 0 {
			start = strconv.FormatInt(p.CurrentTxnStartOffset, 10)
		}
		rows = append(rows, []string{strconv.FormatInt(p.ProducerID, 10), strconv.Itoa(int(p.ProducerEpoch)),
			strconv.Itoa(int(p.CoordinatorEpoch)), strconv.Itoa(int(p.LastSequence)), strconv.FormatInt(p.LastTimestamp, 10), start})
	}
	t.out.paddedColumns([]string{"ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp", "CurrentTransactionStartOffset"}, rows)
	return nil
}

func newFindHangingCommand(run txnRunner) *cobra.Command {
	var topic string
	var partition, brokerID int32
	var maxTimeoutMinutes int
	cmd := &cobra.Command{
		Use: "find-hanging", Short: "find hanging transactions", Args: cobra.NoArgs, SilenceUsage: true,
	}
	cmd.RunE = run(func(t *transactionsTool, ctx context.Context) error {
		if !cmd.Flags().Changed("topic") && !cmd.Flags().Changed("broker-id") {
			return errors.New("The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search")
		}
		if cmd.Flags().Changed("partition") && !cmd.Flags().Changed("topic") {
			return errors.New("The --partition argument requires --topic to be provided")
		}
		var only []int32
		if cmd.Flags().Changed("partition") {
			only = []int32{partition}
		}
		broker := int32(-1)
		if cmd.Flags().Changed("broker-id") {
			broker = brokerID
		}
		return t.findHanging(ctx, topic, only, broker, time.Duration(maxTimeoutMinutes)*time.Minute)
	})
	cmd.Flags().StringVar(&topic, "topic", "", "topic name to limit search to")
	cmd.Flags().Int32Var(&partition, "partition", 0, "partition number")
	cmd.Flags().Int32Var(&brokerID, "broker-id", 0, "broker id to search for hanging transactions (its leader partitions)")
	cmd.Flags().IntVar(&maxTimeoutMinutes, "max-transaction-timeout", 15, "maximum transaction timeout in minutes to limit the scope of the search")
	return cmd
}

// openTxn is a producer's open transaction in one partition.
type openTxn struct {
	p kadm.DescribedProducer
}

// findHanging lists the open transactions older than maxTimeout whose
// coordinator does not know them: the producer id maps to no
// transactional id, or that id's transaction does not include the
// partition.
func (t *transactionsTool) findHanging(ctx context.Context, topic string, partitions []int32, broker int32, maxTimeout time.Duration) error {
	open, err := t.openTransactions(ctx, topic, partitions, broker, maxTimeout)
	if err != nil {
		return err
	}
	var hanging []openTxn
	for _, o := range open {
		if !t.coordinatorKnows(ctx, o) {
			hanging = append(hanging, o)
		}
	}
	var rows [][]string
	for _, h := range hanging {
		p := h.p
		rows = append(rows, []string{p.Topic, strconv.Itoa(int(p.Partition)), strconv.FormatInt(p.ProducerID, 10),
			strconv.Itoa(int(p.ProducerEpoch)), strconv.Itoa(int(p.CoordinatorEpoch)), strconv.FormatInt(p.CurrentTxnStartOffset, 10),
			strconv.FormatInt(p.LastTimestamp, 10), strconv.FormatInt(int64(t.now.Sub(time.UnixMilli(p.LastTimestamp))/time.Minute), 10)})
	}
	t.out.paddedColumns([]string{"Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp", "Duration(min)"}, rows)
	return nil
}

// openTransactions collects the open transactions older than maxTimeout
// in the partitions searched.
func (t *transactionsTool) openTransactions(ctx context.Context, topic string, partitions []int32, broker int32, maxTimeout time.Duration) ([]openTxn, error) {
	topics := []string{topic}
	if topic == "" {
		lctx, cancel := context.WithTimeout(ctx, adminTimeout)
		td, err := t.adm.ListTopics(lctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("Failed to list topics: %w", err)
		}
		topics = td.Names()
	}
	var out []openTxn
	for _, tp := range topics {
		ps, err := t.producersOf(ctx, tp, partitions...)
		if err != nil {
			return nil, fmt.Errorf("Failed to describe producers of %s: %w", tp, err)
		}
		for _, part := range ps {
			if broker >= 0 && part.Leader != broker {
				continue
			}
			for _, p := range part.ActiveProducers.Sorted() {
				if p.CurrentTxnStartOffset >= 0 && t.now.Sub(time.UnixMilli(p.LastTimestamp)) >= maxTimeout {
					out = append(out, openTxn{p})
				}
			}
		}
	}
	return out, nil
}

// coordinatorKnows reports whether a transactional id's coordinator still
// counts the partition of o in the producer's transaction.
func (t *transactionsTool) coordinatorKnows(ctx context.Context, o openTxn) bool {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	ls, err := t.adm.ListTransactions(ctx, []int64{o.p.ProducerID}, nil)
	if err != nil || len(ls) == 0 {
		return false
	}
	for id := range ls {
		ds, err := t.adm.DescribeTransactions(ctx, id)
		if d, ok := ds[id]; err == nil && ok && d.Err == nil && d.Topics.Lookup(o.p.Topic, o.p.Partition) {
			return true
		}
	}
	return false
}

func newAbortTxnCommand(run txnRunner) *cobra.Command {
	var topic string
	var partition, coordinatorEpoch int32
	var startOffset, producerID int64
	var producerEpoch int16
	cmd := &cobra.Command{
		Use: "abort", Short: "abort a hanging transaction (requires administrative privileges)", Args: cobra.NoArgs, SilenceUsage: true,
	}
	cmd.RunE = run(func(t *transactionsTool, ctx context.Context) error {
		fl := cmd.Flags()
		m := kadm.TxnMarkers{ProducerID: producerID, ProducerEpoch: producerEpoch, CoordinatorEpoch: max(coordinatorEpoch, 0),
			Topics: kadm.TopicsSet{}}
		m.Topics.Add(topic, partition)
		switch {
		case fl.Changed("start-offset"):
			found, err := t.producerAt(ctx, topic, partition, startOffset)
			if err != nil {
				return err
			}
			m.ProducerID, m.ProducerEpoch, m.CoordinatorEpoch = found.ProducerID, found.ProducerEpoch, max(found.CoordinatorEpoch, 0)
		case !fl.Changed("producer-id"):
			return errors.New("The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)")
		case !fl.Changed("producer-epoch"):
			return errors.New("Missing required argument --producer-epoch")
		case !fl.Changed("coordinator-epoch"):
			return errors.New("Missing required argument --coordinator-epoch")
		}
		return t.abort(ctx, m)
	})
	fl := cmd.Flags()
	fl.StringVar(&topic, "topic", "", "REQUIRED: topic name")
	fl.Int32Var(&partition, "partition", 0, "REQUIRED: partition number")
	fl.Int64Var(&startOffset, "start-offset", -1, "start offset of the transaction to abort")
	fl.Int64Var(&producerID, "producer-id", -1, "producer id")
	fl.Int16Var(&producerEpoch, "producer-epoch", -1, "producer epoch")
	fl.Int32Var(&coordinatorEpoch, "coordinator-epoch", -1, "coordinator epoch")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("partition")
	return cmd
}

// producerAt finds the producer whose open transaction starts at offset.
func (t *transactionsTool) producerAt(ctx context.Context, topic string, partition int32, offset int64) (kadm.DescribedProducer, error) {
	ps, err := t.producersOf(ctx, topic, partition)
	if err == nil && len(ps) > 0 {
		err = ps[0].Err
	}
	if err != nil || len(ps) == 0 {
		return kadm.DescribedProducer{}, fmt.Errorf("Failed to validate producer state for partition %s-%d: %v", topic, partition, err)
	}
	for _, p := range ps[0].ActiveProducers.Sorted() {
		if p.CurrentTxnStartOffset == offset {
			return p, nil
		}
	}
	return kadm.DescribedProducer{}, fmt.Errorf("Could not find any open transactions starting at offset %d on partition %s-%d", offset, topic, partition)
}

func (t *transactionsTool) abort(ctx context.Context, m kadm.TxnMarkers) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	resps, err := t.adm.WriteTxnMarkers(ctx, m)
	if err == nil {
		for _, r := range resps {
			for _, tr := range r.Topics {
				for _, p := range tr.Partitions {
					if err == nil {
						err = p.Err
					}
				}
			}
		}
	}
	if err != nil {
		return fmt.Errorf("Failed to abort transaction %+v: %w", m, err)
	}
	return nil
}
