package schemareg_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkSchemaByID measures GET /schemas/ids/{id} from parallel
// clients over keep-alive connections against a real node: the lookup a
// deserializer makes for a schema id it has not cached. It reports
// requests per second.
//
//	go test -run '^$' -bench SchemaByID -benchtime 200000x ./internal/schemareg
func BenchmarkSchemaByID(b *testing.B) {
	r := start(b, "")
	for i := range 10 {
		r.expect("POST", fmt.Sprintf("/subjects/s%d/versions", i), avroBody(fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"a","type":"int"}]}`, i)), 200, fmt.Sprintf(`{"id":%d}`, i+1))
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			resp, err := cl.Get(fmt.Sprintf("%s/schemas/ids/%d", r.url, i%10+1))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkRegisterTransitive registers 1,000 versions of one subject
// whose level is BACKWARD_TRANSITIVE, so that version n is checked
// against the n-1 before it; each version adds an optional field and drops
// the previous one, so that every pair is compatible. It reports the
// seconds the 1,000 took.
//
//	go test -run '^$' -bench RegisterTransitive -benchtime 1x ./internal/schemareg
func BenchmarkRegisterTransitive(b *testing.B) {
	const versions = 1000
	for range b.N {
		b.StopTimer()
		r := start(b, "")
		r.expect("PUT", "/config/s", map[string]string{"compatibility": "BACKWARD_TRANSITIVE"}, 200, `{"compatibility":"BACKWARD_TRANSITIVE"}`)
		b.StartTimer()
		began := time.Now()
		for v := range versions {
			schema := fmt.Sprintf(`{"type":"record","name":"R","fields":[{"name":"id","type":"long"},{"name":"f%d","type":["null","string"],"default":null}]}`, v)
			r.expect("POST", "/subjects/s/versions", avroBody(schema), 200, fmt.Sprintf(`{"id":%d}`, v+1))
		}
		b.ReportMetric(time.Since(began).Seconds(), "s/1000-versions")
		b.StopTimer()
		r.node.Shutdown()
		b.StartTimer()
	}
}
