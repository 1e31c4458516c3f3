package server

import (
	"bufio"
	"io"
	"net"
	"os"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/wire"
)

// benchmarkFetchFrame writes a frame of six 1 MiB partitions from a file
// in the page cache from server to a client that reads it whole, as the
// Java consumer's Fetch of six partitions is answered: with regions, the
// batches are sent from the file as the frame is written (sendfile over
// TCP); without, they are read into a buffer first, as a fetch served
// without regions does. The time is to the frame's last byte read; the
// process's CPU time per KiB counts both ends.
func benchmarkFetchFrame(b *testing.B, server, client net.Conn, regions bool) {
	const parts, size = 6, 1 << 20
	f, err := os.CreateTemp(b.TempDir(), "segment")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, parts*size)); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<20)
		r := bufio.NewReaderSize(client, 64<<10)
		for range b.N {
			_, err := io.CopyBuffer(io.Discard, io.LimitReader(r, parts*(size+8)), buf)
			done <- err
		}
	}()
	w := bufio.NewWriterSize(server, 64<<10)
	arena := make([]byte, parts*size)
	header := make([]byte, 8)
	b.SetBytes(parts * size)
	b.ResetTimer()
	cpu, _ := processCPU()
	for range b.N {
		var pieces [][]byte
		var frameRegions []wire.FetchRegion
		for i := range parts {
			pieces = append(pieces, header)
			if regions {
				frameRegions = append(frameRegions, wire.FetchRegion{Region: kafka.NewFileRegion(f, int64(i*size), size, nil), At: len(pieces)})
				continue
			}
			data := arena[i*size : (i+1)*size]
			if _, err := f.ReadAt(data, int64(i*size)); err != nil {
				b.Fatal(err)
			}
			pieces = append(pieces, data)
		}
		if err := writePieces(server, w, pieces, frameRegions); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	cpu2, _ := processCPU()
	b.ReportMetric(float64((cpu2-cpu).Nanoseconds())/float64(b.N*parts*size/1024), "cpu-ns/KiB")
}

func BenchmarkFetchFrameSendfile(b *testing.B) {
	server, client := tcpPair(b)
	benchmarkFetchFrame(b, server, client, true)
}

func BenchmarkFetchFrameCopy(b *testing.B) {
	server, client := tcpPair(b)
	benchmarkFetchFrame(b, server, client, false)
}

// BenchmarkFetchFrameTLS is BenchmarkFetchFrameSendfile and Copy over TLS,
// as the listeners configure it, where regions are read a chunk at a time
// as they are sealed:
//
//	go test -run '^$' -bench FetchFrameTLS -count 5 ./internal/server
func BenchmarkFetchFrameTLS(b *testing.B) {
	for name, regions := range map[string]bool{"read": false, "regions": true} {
		b.Run(name, func(b *testing.B) {
			server, _, client := tlsPair(b, true)
			benchmarkFetchFrame(b, server, client, regions)
		})
	}
}
