package restproxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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
	streamRecords(b, url, record)
}

// BenchmarkV3StreamingProduceAvro is BenchmarkV3StreamingProduce with the
// value in the AVRO format by schema id: each record's JSON is encoded
// with a record schema of one string field and written in Confluent's
// wire format. The bytes counted are the JSON values' 1 KiB.
//
//	go test -run '^$' -bench V3StreamingProduceAvro -benchtime 100000x ./internal/restproxy
func BenchmarkV3StreamingProduceAvro(b *testing.B) {
	tn := nodetest.Start(b, "", map[string]string{"schema.registry.listeners": "http://127.0.0.1:0"})
	cl, err := kgo.NewClient(kgo.SeedBrokers(tn.Addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(b.Context(), 6, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	url := "http://" + tn.RESTProxyAddr().String() + "/v3/clusters/" + tn.ClusterID + "/topics/bench/records"
	schema := `"{\"type\":\"record\",\"name\":\"Blob\",\"fields\":[{\"name\":\"payload\",\"type\":\"string\"}]}"`
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"value":{"type":"AVRO","schema":`+schema+`,"data":{"payload":""}}}`))
	if err != nil {
		b.Fatal(err)
	}
	var first struct {
		ErrorCode int `json:"error_code"`
		Value     struct {
			SchemaID int `json:"schema_id"`
		} `json:"value"`
	}
	err = json.NewDecoder(resp.Body).Decode(&first)
	resp.Body.Close()
	if err != nil || first.ErrorCode != 200 {
		b.Fatalf("registering the schema: %v %+v", err, first)
	}
	value := `{"payload":"` + strings.Repeat("x", 1024-14) + `"}`
	record := []byte(fmt.Sprintf(`{"key":{"type":"STRING","data":"k"},"value":{"type":"AVRO","schema_id":%d,"data":%s}}`+"\n", first.Value.SchemaID, value))
	b.SetBytes(int64(len(value)))
	streamRecords(b, url, record)
}

// streamRecords sends b.N copies of record in one chunked v3 produce and
// checks every answer.
func streamRecords(b *testing.B, url string, record []byte) {
	b.ReportAllocs()
	b.ResetTimer()
	if err := stream(http.DefaultClient, url, nil, record, b.N); err != nil {
		b.Fatal(err)
	}
}

// stream sends n copies of record in one chunked v3 produce with client
// and header, and checks every answer.
func stream(client *http.Client, url string, header http.Header, record []byte, n int) error {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 256<<10)
		for i := 0; i < n; i++ {
			w.Write(record)
		}
		w.Flush()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", url, pr)
	maps.Copy(req.Header, header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Each answer is one line; a success starts the same way every time.
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	ok := []byte(`{"error_code":200,`)
	for i := 0; i < n; i++ {
		if !lines.Scan() {
			return fmt.Errorf("answer %d: %v", i, lines.Err())
		}
		if !bytes.HasPrefix(lines.Bytes(), ok) {
			return fmt.Errorf("answer %d: %s", i, lines.Bytes())
		}
	}
	return nil
}

// BenchmarkDirectProduce is the baseline of BenchmarkV3StreamingProduce in
// the same run: the same 1 KiB values (as the proxy stores them) produced
// straight to the node with franz-go, which is what the proxy does behind
// its HTTP and JSON.
func BenchmarkDirectProduce(b *testing.B) {
	tn := nodetest.Start(b, "", nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(tn.Addr), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(1<<16))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(b.Context(), 6, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	value := []byte(`{"payload":"` + strings.Repeat("x", 1024-14) + `"}`)
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	b.ResetTimer()
	errs := make(chan error, 1)
	for i := 0; i < b.N; i++ {
		cl.Produce(b.Context(), &kgo.Record{Topic: "bench", Key: []byte("k"), Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
