// Package limits measures what this machine allows a broker at best, so
// that broker figures can be read as shares of limits taken in the same
// run: loopback TCP, sendfile from the page cache, page-cache append, and
// the latency of a small append followed by fdatasync.
package limits

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"gregor/bench/stats"
)

const mib = 1 << 20

// Limit is one measured figure.
type Limit struct {
	Name   string
	Value  float64
	Unit   string
	Better string
}

// Measure runs every measurement for about dur each, using files in dir.
func Measure(dir string, dur time.Duration) ([]Limit, error) {
	var out []Limit
	tcp, err := LoopbackTCP(dur)
	if err != nil {
		return nil, fmt.Errorf("loopback TCP: %w", err)
	}
	out = append(out, Limit{"loopback TCP, 1 MiB writes", tcp, "GB/s", "higher"})
	sf, err := Sendfile(dir, dur)
	if err != nil {
		return nil, fmt.Errorf("sendfile: %w", err)
	}
	out = append(out, Limit{"loopback sendfile from page cache", sf, "GB/s", "higher"})
	pc, err := PageCacheAppend(dir, dur)
	if err != nil {
		return nil, fmt.Errorf("page-cache append: %w", err)
	}
	out = append(out, Limit{"page-cache append, 1 MiB writes", pc, "GB/s", "higher"})
	p50, p99, rate, err := FdatasyncLatency(dir, dur)
	if err != nil {
		return nil, fmt.Errorf("fdatasync: %w", err)
	}
	out = append(out,
		Limit{"4 KiB append + fdatasync p50", p50, "ms", "lower"},
		Limit{"4 KiB append + fdatasync p99", p99, "ms", "lower"},
		Limit{"4 KiB append + fdatasync rate", rate, "ops/s", "higher"})
	return out, nil
}

// sink accepts one connection on a loopback listener and discards what it
// reads; done receives the byte count when the peer closes.
func sink() (addr string, done <-chan int64, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ch := make(chan int64, 1)
	go func() {
		defer ln.Close()
		conn, err := ln.Accept()
		if err != nil {
			ch <- -1
			return
		}
		defer conn.Close()
		n, _ := io.CopyBuffer(io.Discard, conn, make([]byte, mib))
		ch <- n
	}()
	return ln.Addr().String(), ch, nil
}

// LoopbackTCP writes 1 MiB buffers over 127.0.0.1 to a reading goroutine
// for dur and returns GB/s.
func LoopbackTCP(dur time.Duration) (float64, error) {
	addr, done, err := sink()
	if err != nil {
		return 0, err
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, mib)
	start := time.Now()
	var sent int64
	for time.Since(start) < dur {
		n, err := conn.Write(buf)
		sent += int64(n)
		if err != nil {
			conn.Close()
			return 0, err
		}
	}
	conn.Close()
	<-done
	return gbps(sent, time.Since(start)), nil
}

// Sendfile sends a 256 MiB page-cached file over 127.0.0.1 again and again
// for dur with (*net.TCPConn).ReadFrom(*os.File), which uses sendfile(2),
// and returns GB/s.
func Sendfile(dir string, dur time.Duration) (float64, error) {
	path := filepath.Join(dir, "sendfile.dat")
	defer os.Remove(path)
	if err := writeFile(path, 256*mib); err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(io.Discard, f, make([]byte, mib)); err != nil { // into the page cache
		return 0, err
	}
	addr, done, err := sink()
	if err != nil {
		return 0, err
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	tcp := conn.(*net.TCPConn)
	start := time.Now()
	var sent int64
	for time.Since(start) < dur {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			conn.Close()
			return 0, err
		}
		n, err := tcp.ReadFrom(f)
		sent += n
		if err != nil {
			conn.Close()
			return 0, err
		}
	}
	conn.Close()
	<-done
	return gbps(sent, time.Since(start)), nil
}

func writeFile(path string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, mib)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for written := 0; written < size; written += len(buf) {
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// PageCacheAppend appends 1 MiB writes to a new file, without fsync, for
// dur or up to 2 GiB, and returns GB/s. The time includes the close, not
// the write-back.
func PageCacheAppend(dir string, dur time.Duration) (float64, error) {
	path := filepath.Join(dir, "append.dat")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, mib)
	start := time.Now()
	var written int64
	for time.Since(start) < dur && written < 2048*mib {
		n, err := f.Write(buf)
		written += int64(n)
		if err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return gbps(written, time.Since(start)), nil
}

// FdatasyncLatency appends 4 KiB and calls fdatasync, for dur (at most
// 20,000 times), and returns the p50 and p99 of one append+fdatasync in
// milliseconds and the rate in operations per second.
func FdatasyncLatency(dir string, dur time.Duration) (p50, p99, rate float64, err error) {
	path := filepath.Join(dir, "fsync.dat")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var lat []time.Duration
	start := time.Now()
	for time.Since(start) < dur && len(lat) < 20000 {
		t := time.Now()
		if _, err := f.Write(buf); err != nil {
			return 0, 0, 0, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, 0, 0, err
		}
		lat = append(lat, time.Since(t))
	}
	ps := stats.Percentiles(stats.Millis(lat), 50, 99)
	return ps[0], ps[1], float64(len(lat)) / time.Since(start).Seconds(), nil
}

func gbps(bytes int64, d time.Duration) float64 {
	return float64(bytes) / d.Seconds() / 1e9
}
