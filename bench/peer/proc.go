package peer

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of times in /proc/PID/stat: 100 on
// every Linux architecture Go runs on.
const clockTicks = 100

// RSS returns the resident memory of process pid in bytes (VmRSS in
// /proc/PID/status).
func RSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// CPU returns the CPU time process pid has used, user plus system
// (utime+stime in /proc/PID/stat).
func CPU(pid int) (time.Duration, error) {
	fields, err := stat(pid)
	if err != nil {
		return 0, err
	}
	// After the command: state is fields[0], utime and stime are the
	// 14th and 15th fields of the line, fields[11] and fields[12] here.
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime %q %q", pid, fields[11], fields[12])
	}
	return ticks(utime + stime), nil
}

// ProcessAge returns how long ago process pid started (starttime in
// /proc/PID/stat against /proc/uptime), to 10 ms.
func ProcessAge(pid int) (time.Duration, error) {
	fields, err := stat(pid)
	if err != nil {
		return 0, err
	}
	uptime, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	up, err := strconv.ParseFloat(strings.Fields(string(uptime))[0], 64)
	if err != nil {
		return 0, err
	}
	start, err := strconv.ParseInt(fields[19], 10, 64) // starttime, the 22nd field
	if err != nil {
		return 0, err
	}
	return time.Duration(up*float64(time.Second)) - ticks(start), nil
}

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

func stat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	fields := statFields(b)
	if len(fields) < 20 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	return fields, nil
}

// statFields returns the fields of a /proc/PID/stat line after the
// command name, which is in parentheses and may hold spaces.
func statFields(b []byte) []string {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
