package kafkatools

import "testing"

func TestParseProduce(t *testing.T) {
	out := `Option --producer-props has been deprecated
24950 records sent, 4990.0 records/sec (0.48 MB/sec), 12.5 ms avg latency, 300.0 ms max latency.
50000 records sent, 15523.129463 records/sec (1.48 MB/sec), 393.57 ms avg latency, 1625.00 ms max latency, 317 ms 50th, 689 ms 95th, 706 ms 99th, 708 ms 99.9th.
`
	got, err := parseProduce(out)
	if err != nil {
		t.Fatal(err)
	}
	want := ProduceResult{Records: 50000, RecordsPerSec: 15523.129463, MBPerSec: 1.48, AvgMs: 393.57, MaxMs: 1625,
		P50: 317, P95: 689, P99: 706, P999: 708}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := parseProduce("24950 records sent, 4990.0 records/sec (0.48 MB/sec), 12.5 ms avg latency, 300.0 ms max latency.\n"); err == nil {
		t.Fatal("a run without its final summary parsed")
	}
}

func TestParseConsume(t *testing.T) {
	out := `Warning: --messages is deprecated. Use --num-records instead.
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-12-06 22:42:12:860, 2026-12-06 22:42:15:526, 4.7684, 1.7886, 50000, 18754.6887, 2127, 539, 8.8467, 92764.3785
`
	got, err := parseConsume(out)
	if err != nil {
		t.Fatal(err)
	}
	want := ConsumeResult{Records: 50000, MB: 4.7684, RebalanceMs: 2127, FetchMs: 539, FetchMBPerSec: 8.8467, FetchRecPerSec: 92764.3785}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := parseConsume("start.time, end.time, data.consumed.in.MB\n2026-12-06 22:42:12:860, x\n"); err == nil {
		t.Fatal("a short line parsed")
	}
}
