package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gregor/internal/record"
)

func benchAppend(b *testing.B, valueSize int) {
	l, err := Open(b.TempDir(), DefaultConfig(), fixedClock(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	batch := batch(b, 16, valueSize/16, 1)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := l.Append(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend measures appending 1 KiB and 16 KiB batches (no fsync).
func BenchmarkAppend(b *testing.B) {
	b.Run("1KiB", func(b *testing.B) { benchAppend(b, 1000) })
	b.Run("16KiB", func(b *testing.B) { benchAppend(b, 16000) })
}

// BenchmarkRead measures 1 MiB fetch-style reads at offsets spread over the log.
func BenchmarkRead(b *testing.B) {
	l, err := Open(b.TempDir(), DefaultConfig(), fixedClock(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	bt := batch(b, 16, 64, 1)
	for range 20000 {
		l.Append(bt, 1)
	}
	leo := l.LogEndOffset()
	b.ReportAllocs()
	var off int64
	for b.Loop() {
		data, err := l.Read(off, 1<<20, leo, true)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		off = (off + 7919) % (leo - 100)
	}
	_ = record.HeaderSize
}

// benchValue is 1 KiB that compresses about 2:1, like much real data.
func benchValue(rng *rand.Rand) []byte {
	v := make([]byte, 1024)
	for i := range v[:512] {
		v[i] = byte(rng.Uint32())
	}
	return v
}

// cleanerBenchLog fills a compacted log in dir with about size bytes of
// batches of 16 records of 1 KiB values over keys distinct keys, in codec.
func cleanerBenchLog(b *testing.B, dir string, size int64, keys int, codec record.Codec) *Log {
	cfg := compactConfig()
	cfg.SegmentBytes = 8 << 20
	cfg.IndexIntervalBytes = 4096
	l, err := Open(dir, cfg, fixedClock(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for k := 0; l.Size() < size; {
		spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: codec}
		for range 16 {
			spec.Records = append(spec.Records, record.Record{Timestamp: 1, Key: fmt.Appendf(nil, "key-%08d", k%keys), Value: benchValue(rng)})
			k += 7919 // a stride coprime with keys: every key, in scattered order
		}
		bt, err := record.Build(spec)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := l.Append(bt, 1); err != nil {
			b.Fatal(err)
		}
	}
	l.writeMu.Lock()
	l.roll(l.LogEndOffset())
	l.writeMu.Unlock()
	return l
}

// BenchmarkCleaner measures cleaner throughput: bytes of a dirty 32 MiB log
// (as stored, so compressed) cleaned per second: offset map, filtering,
// rewriting, the swap with its fsyncs. About a tenth of the records stay.
func BenchmarkCleaner(b *testing.B) {
	for _, codec := range []record.Codec{record.CodecNone, record.CodecLZ4, record.CodecZstd} {
		b.Run(codec.String(), func(b *testing.B) {
			const size = 32 << 20
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				l := cleanerBenchLog(b, b.TempDir(), size, 2000, codec)
				b.SetBytes(l.Size())
				r := l.cleanableRange(-1, time.Unix(1_700_000_000, 0))
				b.StartTimer()
				if _, _, err := l.compact(context.Background(), r, time.Unix(1_700_000_000, 0), DefaultDedupeBufferSize, nil); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				l.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkCleanerProduce measures appends of 16 KiB batches (16 keyed
// records, no fsync) to a compacted log with 1 MiB segments, with no
// cleaner and with a cleaner compacting the same log back to back; the
// second reports how fast the cleaner went meanwhile.
func BenchmarkCleanerProduce(b *testing.B) {
	for _, cleaning := range []bool{false, true} {
		name := map[bool]string{false: "idle", true: "cleaning"}[cleaning]
		b.Run(name, func(b *testing.B) {
			cfg := compactConfig()
			cfg.SegmentBytes = 1 << 20
			l, err := Open(b.TempDir(), cfg, time.Now, quiet)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			batches := make([]record.Batch, 64)
			for i := range batches {
				spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
				for j := range 16 {
					spec.Records = append(spec.Records, record.Record{Timestamp: 1, Key: fmt.Appendf(nil, "key-%d", (i*16+j)%500), Value: benchValue(rng)})
				}
				if batches[i], err = record.Build(spec); err != nil {
					b.Fatal(err)
				}
			}
			stop, done := make(chan struct{}), make(chan int64)
			go func() {
				var cleaned int64
				checkpoint := int64(-1)
				for cleaning {
					select {
					case <-stop:
						done <- cleaned
						return
					default:
					}
					r := l.cleanableRange(checkpoint, time.Now())
					if r.dirtyBytes == 0 {
						time.Sleep(time.Millisecond)
						continue
					}
					end, stats, err := l.compact(context.Background(), r, time.Now(), DefaultDedupeBufferSize, nil)
					if err != nil && !errors.Is(err, errCleaningAborted) {
						b.Error(err)
					}
					checkpoint, cleaned = end, cleaned+stats.bytesRead
				}
				<-stop
				done <- 0
			}()
			b.SetBytes(int64(len(batches[0])))
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, _, err := l.Append(batches[i%len(batches)], 1); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			if cleaned := <-done; cleaning {
				b.ReportMetric(float64(cleaned)/1e6/time.Since(start).Seconds(), "cleaned-MB/s")
			}
		})
	}
}

// BenchmarkFetchRead compares what a 1 MiB fetch of one partition costs
// the handler before the response is written: reading the batches into a
// reused buffer (ReadInto), or finding them as a file region by walking
// their headers (ReadRegion), in a log of 16 KiB batches (16 records of
// 1 KiB, as a Java producer's batch.size makes them).
func BenchmarkFetchRead(b *testing.B) {
	l, err := Open(b.TempDir(), DefaultConfig(), fixedClock(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	bt := batch(b, 16, 1000, 1)
	for range 4000 {
		l.Append(bt, 1)
	}
	leo := l.LogEndOffset()
	buf := make([]byte, 1<<20)
	b.Run("ReadInto", func(b *testing.B) {
		var off int64
		for b.Loop() {
			data, err := l.ReadInto(buf, off, 1<<20, leo, true)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			off = (off + 7919) % (leo - 1000)
		}
	})
	b.Run("ReadRegion", func(b *testing.B) {
		var off int64
		for b.Loop() {
			r, _, err := l.ReadRegion(off, 1<<20, leo, true)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(r.Length)
			r.Release()
			off = (off + 7919) % (leo - 1000)
		}
	})
}
