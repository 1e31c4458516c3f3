package server

import (
	"bufio"
	"io"
	"os"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/wire"
)

// benchmarkFetchFrame writes a frame of six 1 MiB partitions from a file
// in the page cache over loopback TCP to a client that reads it whole, as
// the Java consumer's Fetch of six partitions is answered: with sendfile,
// the regions; without, pread into a buffer, then writev. The time is to
// the frame's last byte read.
func benchmarkFetchFrame(b *testing.B, sendfile bool) {
	const parts, size = 6, 1 << 20
	f, err := os.CreateTemp(b.TempDir(), "segment")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, parts*size)); err != nil {
		b.Fatal(err)
	}
	server, client := tcpPair(b)
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
	for range b.N {
		var pieces [][]byte
		var regions []wire.FetchRegion
		for i := range parts {
			pieces = append(pieces, header)
			if sendfile {
				regions = append(regions, wire.FetchRegion{Region: kafka.NewFileRegion(f, int64(i*size), size, nil), At: len(pieces)})
				continue
			}
			data := arena[i*size : (i+1)*size]
			if _, err := f.ReadAt(data, int64(i*size)); err != nil {
				b.Fatal(err)
			}
			pieces = append(pieces, data)
		}
		if err := writePieces(server, w, pieces, regions); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFetchFrameSendfile(b *testing.B) { benchmarkFetchFrame(b, true) }
func BenchmarkFetchFrameCopy(b *testing.B)     { benchmarkFetchFrame(b, false) }
