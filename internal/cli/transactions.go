package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// transactionsTool is one run of `gregor transactions <command>`.
type transactionsTool struct {
	cl  *kgo.Client
	adm *kadm.Client
	out *printer
	now time.Time
}

func newTransactionsCommand() *cobra.Command {
	conn := &connFlags{}
	cmd := &cobra.Command{
		Use:   "transactions",
		Short: "List and describe transactions, find and abort hanging ones (kafka-transactions.sh)",
		Long: `Inspect the transactions of the cluster, as kafka-transactions.sh does:

  list                 every transactional id: TransactionalId Coordinator ProducerId
                       TransactionState
  describe             one transactional id (--transactional-id): its coordinator,
                       producer id and epoch, state, timeout, start and duration of
                       the ongoing transaction and its partitions
  describe-producers   the producers a partition leader knows (--topic, --partition)
                       and the first offset of their open transaction
  find-hanging         open transactions (--topic [--partition] or --broker-id) older
                       than --max-transaction-timeout minutes that no coordinator will
                       end: a producer whose transactional id is unknown, or whose
                       transaction does not include the partition
  abort                write an abort marker for the open transaction that starts at
                       --start-offset of --topic/--partition (or for --producer-id,
                       --producer-epoch, --coordinator-epoch)`,
		Example: `  gregor transactions --bootstrap-server localhost:9092 list
  gregor transactions --bootstrap-server localhost:9092 describe --transactional-id copier
  gregor transactions --bootstrap-server localhost:9092 describe-producers --topic orders --partition 0
  gregor transactions --bootstrap-server localhost:9092 find-hanging --topic orders
  gregor transactions --bootstrap-server localhost:9092 abort --topic orders --partition 0 --start-offset 1200`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New("a command is required: list, describe, describe-producers, find-hanging or abort")
		},
	}
	conn.register(cmd, false)
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	run := func(fn func(*transactionsTool, context.Context) error) func(*cobra.Command, []string) error {
		return func(sub *cobra.Command, _ []string) error {
			if conn.bootstrapServer == "" {
				return errors.New("--bootstrap-server is required")
			}
			cl, err := conn.adminClient(sub)
			if err != nil {
				return err
			}
			defer cl.Close()
			t := &transactionsTool{cl: cl, adm: adminFor(cl), out: newPrinter(sub.OutOrStdout()), now: time.Now()}
			err = fn(t, sub.Context())
			if ferr := t.out.flush(); err == nil {
				err = ferr
			}
			return err
		}
	}
	cmd.AddCommand(newTxnListCommand(run), newTxnDescribeCommand(run), newDescribeProducersCommand(run),
		newFindHangingCommand(run), newAbortTxnCommand(run))
	return cmd
}

type txnRunner = func(func(*transactionsTool, context.Context) error) func(*cobra.Command, []string) error

func newTxnListCommand(run txnRunner) *cobra.Command {
	var durationFilter int64
	var pattern string
	cmd := &cobra.Command{
		Use: "list", Short: "list transactions", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: run(func(t *transactionsTool, ctx context.Context) error { return t.list(ctx, durationFilter, pattern) }),
	}
	cmd.Flags().Int64Var(&durationFilter, "duration-filter", -1,
		"only transactions running longer than this many milliseconds; negative: all")
	cmd.Flags().StringVar(&pattern, "transactional-id-pattern", "",
		"only transactional ids this regular expression matches, whole")
	return cmd
}

// list asks every broker for the transactions it coordinates, with
// Kafka's filters (KIP-994's duration, KIP-1152's id pattern).
func (t *transactionsTool) list(ctx context.Context, durationFilter int64, pattern string) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	req := kmsg.NewPtrListTransactionsRequest()
	req.DurationFilterMillis = durationFilter
	if pattern != "" {
		req.TransactionalIDPattern = &pattern
	}
	var rows [][]string
	for _, shard := range t.cl.RequestSharded(ctx, req) {
		err := shard.Err
		if err == nil {
			err = kerr.ErrorForCode(shard.Resp.(*kmsg.ListTransactionsResponse).ErrorCode)
		}
		if err != nil {
			return fmt.Errorf("Failed to list transactions: broker %d: %w", shard.Meta.NodeID, err)
		}
		for _, l := range shard.Resp.(*kmsg.ListTransactionsResponse).TransactionStates {
			rows = append(rows, []string{l.TransactionalID, strconv.Itoa(int(shard.Meta.NodeID)),
				strconv.FormatInt(l.ProducerID, 10), l.TransactionState})
		}
	}
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	t.out.paddedColumns([]string{"TransactionalId", "Coordinator", "ProducerId", "TransactionState"}, rows)
	return nil
}

func newTxnDescribeCommand(run txnRunner) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use: "describe", Short: "describe the state of an active transactional-id", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: run(func(t *transactionsTool, ctx context.Context) error { return t.describe(ctx, id) }),
	}
	cmd.Flags().StringVar(&id, "transactional-id", "", "REQUIRED: transactional id")
	_ = cmd.MarkFlagRequired("transactional-id")
	return cmd
}

func (t *transactionsTool) describe(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	ds, err := t.adm.DescribeTransactions(ctx, id)
	d, ok := ds[id]
	if err == nil && ok {
		err = d.Err
	}
	if err != nil || !ok {
		return fmt.Errorf("Failed to describe transaction state of transactional-id `%s`: %v", id, err)
	}
	start, duration := "None", "None"
	if d.StartTimestamp >= 0 {
		start = strconv.FormatInt(d.StartTimestamp, 10)
		duration = strconv.FormatInt(t.now.UnixMilli()-d.StartTimestamp, 10)
	}
	var tps []string
	for _, p := range d.Topics.Sorted() {
		for _, part := range p.Partitions {
			tps = append(tps, fmt.Sprintf("%s-%d", p.Topic, part))
		}
	}
	sort.Strings(tps)
	t.out.paddedColumns([]string{"CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
		"TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions"},
		[][]string{{strconv.Itoa(int(d.Coordinator)), id, strconv.FormatInt(d.ProducerID, 10), strconv.Itoa(int(d.ProducerEpoch)),
			d.State, strconv.Itoa(int(d.TimeoutMillis)), start, duration, strings.Join(tps, ",")}})
	return nil
}
