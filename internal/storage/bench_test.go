package storage

import (
	"testing"

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
