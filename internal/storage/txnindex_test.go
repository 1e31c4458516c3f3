package storage

import (
	"reflect"
	"testing"

	"gregor/internal/kafka"
)

// TestTxnIndexSurvivesReopenAndTruncation proves that aborted-transaction
// entries are found by range, persist in .txnindex across a reopen, ignore
// a replayed duplicate, and go with a truncation past their marker.
func TestTxnIndexSurvivesReopenAndTruncation(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	fill(t, l, 40) // 120 offsets over several segments
	a := kafka.AbortedTransaction{ProducerID: 7, FirstOffset: 3, LastOffset: 10, LastStableOffset: 11}
	b := kafka.AbortedTransaction{ProducerID: 8, FirstOffset: 50, LastOffset: 100, LastStableOffset: 101}
	for _, e := range []kafka.AbortedTransaction{a, b, a} {
		if err := l.AppendAbortedTransaction(e); err != nil {
			t.Fatal(err)
		}
	}
	check := func(from, upTo int64, want ...kafka.AbortedTransaction) {
		t.Helper()
		if got := l.AbortedTransactions(from, upTo); !reflect.DeepEqual(got, want) {
			t.Fatalf("AbortedTransactions(%d, %d) = %v, want %v", from, upTo, got, want)
		}
	}
	check(0, 5, a)
	check(11, 50)
	check(11, 51, b)
	check(0, 120, a, b)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, 0)
	check(0, 120, a, b)
	if err := l.TruncateTo(90); err != nil {
		t.Fatal(err)
	}
	check(0, 90, a)
	l.Close()
	l = openLog(t, dir, 0)
	defer l.Close()
	check(0, 90, a)
}
