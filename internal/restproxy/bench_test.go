package restproxy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// BenchmarkV3StreamingProduce measures the v3 streamed produce of records
// with a 1 KiB JSON value: b.N record objects in one chunked request to a
// topic of 6 partitions, every answer read and checked. The bytes counted
// are the values' 1 KiB.
//
//	go test -run '^$' -bench V3StreamingProduce -benchtime 100000x ./internal/restproxy
func BenchmarkV3StreamingProduce(b *testing.B) {
	tn := nodetest.Start(b, "", nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(tn.Addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(b.Context(), 6, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	url := "http://" + tn.RESTProxyAddr().String() + "/v3/clusters/" + tn.ClusterID + "/topics/bench/records"
	// A 1 KiB JSON value: {"payload":"xxx..."}.
	value := `{"payload":"` + strings.Repeat("x", 1024-14) + `"}`
	record := []byte(`{"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":` + value + "}}\n")
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	b.ResetTimer()
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 256<<10)
		for i := 0; i < b.N; i++ {
			w.Write(record)
		}
		w.Flush()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", url, pr)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(resp.Body, 256<<10))
	for i := 0; i < b.N; i++ {
		var r struct {
			ErrorCode int    `json:"error_code"`
			Message   string `json:"message"`
		}
		if err := dec.Decode(&r); err != nil {
			b.Fatalf("answer %d: %v", i, err)
		}
		if r.ErrorCode != 200 {
			b.Fatal(fmt.Sprintf("answer %d: %d %s", i, r.ErrorCode, r.Message))
		}
	}
}
